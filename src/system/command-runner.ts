export interface RunOptions {
  /** Values replaced by <masked> wherever the command line or its output is reported. */
  readonly secrets?: readonly string[];
  /** How to get the binary ("Debian package s3fs"), said when it is missing. */
  readonly providedBy?: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** The only way volplex runs external programs: argv arrays, never a shell. */
export interface CommandRunner {
  /**
   * Runs `file args…`, bounded by the configured timeout (the whole process group is
   * killed on expiry). Resolves on exit status 0. Rejects with a VolplexError naming
   * the command (secrets masked) and its stderr: Unavailable when the binary is missing
   * or the time ran out, System when it exited non-zero.
   */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}
