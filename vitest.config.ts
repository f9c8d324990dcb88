import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Node.js 20 loads NODE_EXTRA_CA_CERTS at every start, 85 ms on this project's
// CI machines, whose environment sets it; the tests start hundreds of node
// processes (the CLI, workers) and make no TLS connections. bin/qosmark drops
// it the same way.
delete process.env.NODE_EXTRA_CA_CERTS;

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
