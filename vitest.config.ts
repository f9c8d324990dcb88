import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { dropExtraCaCerts } from './test/support/node-env.js';

dropExtraCaCerts();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/system/**', 'node_modules/**'],
    testTimeout: 30_000,
    // One file per core. vitest's default is cores - 1, which on 2 cores ran the files one
    // at a time: `npm test` took about 95 s, now about 70 s. Timing figures live in bench/.
    maxWorkers: availableParallelism(),
    // Builds dist/ once before the files run in parallel (the CLI tests run dist/cli/main.js).
    globalSetup: ['test/support/global-build.ts'],
  },
});
