/**
 * The exit statuses of `latchkey` (docs/cli.md#exit-status). Scripts may rely on them: a new
 * kind of failure gets a new number rather than a different meaning for an old one.
 */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** The database failed or could not be reached, or something unexpected went wrong. */
  failure: 1,
  /** The command line is wrong: unknown command or option, missing or invalid value. */
  usage: 2,
  /** Refused: what the command names does not exist, or the change conflicts with what is stored. */
  refused: 3,
  /** The embedded database's data directory is held by another process (a running server). */
  dataDirectoryInUse: 4,
  /** A `LATCHKEY_*` setting is invalid, or names storage the CLI cannot use (as the server, EX_CONFIG). */
  configuration: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
