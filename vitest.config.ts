import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/system/**', 'node_modules/**'],
    testTimeout: 30_000,
    // Builds dist/ once before the files run in parallel (the CLI tests run dist/cli/main.js).
    globalSetup: ['test/support/global-build.ts'],
  },
});
