/** Exit statuses shared by the commands (audit adds 1: something is mismarked). */
export const EXIT_OK = 0;
export const EXIT_USAGE_OR_FILE = 2;

/*
 * When the reader of stdout goes away (EPIPE, as in `qosmark audit x | head -1`),
 * the command ends quietly, as tcpdump and tshark do. Its exit status is still
 * its verdict when that is known by then: an audit that found mismarked
 * packets exits 1 whether or not its report could be written whole, so a CI
 * job that pipes the report somewhere still fails.
 */
let verdict = EXIT_OK;

/** The status to exit with should stdout close under the command from now on. */
export function setStatusIfStdoutCloses(status: number): void {
  verdict = status;
}

export function statusIfStdoutCloses(): number {
  return verdict;
}
