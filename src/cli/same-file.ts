/**
 * Refusing to write over the file being read: `mark IN -o IN`, or
 * `audit IN --html IN`, would truncate the input before (or while) it is
 * read. The check compares device and inode, so a symbolic or hard link, or
 * another spelling of the path, is caught too.
 */
import * as fs from 'node:fs';
import { UsageError } from './usage-error.js';

/** Throws a UsageError when `outPath` (an existing file) is the file `inPath`. `-` is never a file here. */
export function refuseOverwritingInput(command: string, inPath: string, outPath: string, what = 'output'): void {
  if (inPath === '-' || outPath === '-') return;
  let input: fs.Stats;
  let output: fs.Stats;
  try {
    input = fs.statSync(inPath);
    output = fs.statSync(outPath);
  } catch {
    // A missing output is about to be created; a missing input is reported when it is opened.
    return;
  }
  if (input.dev === output.dev && input.ino === output.ino) {
    throw new UsageError(`${command}: ${outPath}: ${what} is the input file; refusing to overwrite it`);
  }
}
