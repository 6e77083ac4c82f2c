/**
 * Errors and exit statuses. Every user-facing failure ends as one line on stderr and one of
 * these exit codes; the README lists them.
 */
export const ExitCode = {
  Ok: 0,
  /** `repro client`: fewer bytes arrived than expected. Also generic failure of a check. */
  Failure: 1,
  /** The input file is not a capture, or is corrupt/truncated past a point. Frames before it were reported. */
  BadInput: 2,
  /** `analyze --fail-on V`: a connection reached verdict V (after the normal output). */
  Verdict: 3,
  /** Wrong command-line usage. */
  Usage: 64,
  /** An input file could not be opened or read (missing, permission). */
  NoInput: 66,
  /** An output file or directory could not be created or written (--zeek-log DIR, --output FILE). */
  CantCreate: 73,
  /** Live capture: not permitted (not root, no CAP_NET_RAW). */
  NoPermission: 77,
  /** Live capture: no such interface. */
  NoSuchInterface: 68,
  /** Live capture: libpcap or the `cap` binding is not installed. */
  NoLibpcap: 69,
  /** repro: the port is in use. */
  PortInUse: 75,
  /** repro: the server could not be reached. */
  Unreachable: 76,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A capture file (or stream) is malformed or truncated past the point where reading can go on.
 * `message` is a complete one-line description: `FILE: offset N (frame F): what is wrong`.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly file: string,
    /** Byte offset in the (decompressed) stream where the bad structure starts. */
    readonly offset: number,
    /** Frame number the bad record would have had (last good frame + 1), 0 if before any frame. */
    readonly frame: number,
    readonly reason: string,
    readonly exitCode: ExitCode = ExitCode.BadInput,
  ) {
    super(`${file}: offset ${offset}${frame > 0 ? ` (frame ${frame})` : ''}: ${reason}`);
  }
}

/** An error meant for the user as one line, with its exit status (never a stack trace). */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
  }
}
