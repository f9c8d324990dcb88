import { defineConfig } from 'vitest/config';

// Node.js 20 loads NODE_EXTRA_CA_CERTS at every start, 85 ms on this project's
// CI machines, whose environment sets it; the tests start hundreds of node
// processes (the CLI, workers) and make no TLS connections. bin/qosmark drops
// it the same way.
delete process.env.NODE_EXTRA_CA_CERTS;

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
