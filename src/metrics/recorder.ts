/** The volume operations timed by `volplex_operation_duration_seconds` (the protocol calls the volume service answers). */
export type OperationName = 'create' | 'get' | 'list' | 'path' | 'mount' | 'unmount' | 'remove';

/** How an external command ended: exit 0, another exit status, killed at its deadline, or not installed. */
export type CommandEnding = 'ok' | 'failed' | 'timeout' | 'missing';

/** What the start-up reconcile and the holder checks did: a backend mount adopted, a reference dropped, a mount nobody counted unmounted. */
export type ReconcileAction = 'adopted' | 'dropped' | 'unmounted';

/**
 * Where volplex counts and times what it does, for its Prometheus metrics. Labels are backend
 * types, command names, error kinds: never a volume name (unbounded) or a secret. Calls are
 * synchronous, cheap and never throw. NO_METRICS, the default, records nothing.
 */
export interface MetricsRecorder {
  /** One volume operation ended; `type` is '' when no single backend type applies (List, an unknown volume); `result` is 'ok' or the error kind. */
  operation(operation: OperationName, type: string, result: string, seconds: number): void;
  /** One external command (mount, umount, s3fs, a probe's stat…) ended; `command` is the program's file name. */
  command(command: string, ending: CommandEnding, seconds: number): void;
  /** A dead backend mount (server or FUSE client gone) was replaced by a new mount. */
  healed(type: string): void;
  reconciled(action: ReconcileAction, count: number): void;
}

export const NO_METRICS: MetricsRecorder = Object.freeze({
  operation: () => undefined,
  command: () => undefined,
  healed: () => undefined,
  reconciled: () => undefined,
});
