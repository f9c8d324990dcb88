import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/system/**', 'node_modules/**'],
    testTimeout: 30_000,
    // One file per core (vitest's default leaves one core idle): on 2 cores this takes
    // `npm test` from about 95 s to about 65 s. Timing figures live in bench/, not here.
    maxWorkers: availableParallelism(),
    // Builds dist/ once before the files run in parallel (the CLI tests run dist/cli/main.js).
    globalSetup: ['test/support/global-build.ts'],
  },
});
