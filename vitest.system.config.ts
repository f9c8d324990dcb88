import { defineConfig } from 'vitest/config';
import { dropExtraCaCerts } from './test/support/node-env.js';

dropExtraCaCerts();

// System tests: need root, network namespaces, libpcap, tshark/tcpdump/tcpreplay.
// Run one file at a time: they share the host's network namespaces list and tools.
export default defineConfig({
  test: {
    include: ['test/system/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: ['test/support/global-build.ts'],
  },
});
