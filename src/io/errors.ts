/** A problem with a capture file as a whole: reported as one line, exit status 2. */
export class CaptureFileError extends Error {
  constructor(
    readonly file: string,
    /** Byte offset in the file where the problem is, or -1 when it has none. */
    readonly offset: number,
    readonly what: string,
  ) {
    super(offset >= 0 ? `${file}: byte ${offset}: ${what}` : `${file}: ${what}`);
    this.name = 'CaptureFileError';
  }
}
