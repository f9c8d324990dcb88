/** The environment the test runs give the node processes they start. */

/**
 * Node.js 20 loads NODE_EXTRA_CA_CERTS at every start, 85 ms on this
 * project's CI machines, whose environment sets it; the tests start hundreds
 * of node processes (the CLI, workers) and make no TLS connections.
 * bin/qosmark drops it the same way. Called by both vitest configs before
 * their workers start, so that every process they start inherits it.
 */
export function dropExtraCaCerts(): void {
  delete process.env.NODE_EXTRA_CA_CERTS;
}
