export interface RunOptions {
  /** Values replaced by <masked> wherever the command line or its output is reported. */
  readonly secrets?: readonly string[];
  /** How to get the binary ("Debian package s3fs"), said when it is missing. */
  readonly providedBy?: string;
  /** A shorter limit than the configured command timeout, in milliseconds. */
  readonly timeoutMs?: number;
  /**
   * The command may leave a daemon behind (a FUSE client, mount.glusterfs, mount.nfs's
   * statd): its output must not go through pipes the daemon would inherit.
   */
  readonly startsDaemon?: boolean;
  /**
   * The command touches only local paths and ends at once (a bind mount, its umount): it goes
   * ahead of commands that may wait on a server, so a dead one's retries never queue it.
   */
  readonly quick?: boolean;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** How a check ended: it exited (with any status), or it ran into its deadline and was killed. */
export type CheckOutcome =
  | { readonly status: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly status: 'deadline' };

export interface RunningCheck {
  /** Settles by the deadline at the latest, even when the child cannot die (stuck in the kernel). */
  readonly outcome: Promise<CheckOutcome>;
  /** Settles when the child is really gone; a child stuck in D state may never get there. */
  readonly gone: Promise<void>;
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
  /**
   * Runs a short command that may block on a dead filesystem (a stat inside a mount). At
   * `deadlineMs` the child gets SIGKILL and `outcome` answers "deadline" at once: nobody
   * waits for a child that cannot die. Never rejects, but for a missing binary or a child
   * that could not be started (Unavailable).
   */
  check(file: string, args: readonly string[], deadlineMs: number): RunningCheck;
  /** Gets ready to run commands (starts what it needs in the background), so that the first one does not wait. */
  warmUp?(): void;
}
