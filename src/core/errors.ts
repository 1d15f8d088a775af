/** The errno code (ENOENT, ENOTCONN…) of a Node system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** How a failure behaves, so callers can react without parsing messages. */
export type ErrorKind = 'InvalidParameter' | 'NotFound' | 'Conflict' | 'Unavailable' | 'System';

/** The one error type of volplex. Messages never contain secret values. */
export class VolplexError extends Error {
  public readonly kind: ErrorKind;

  public constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VolplexError';
    this.kind = kind;
  }

  public static is(value: unknown, kind?: ErrorKind): value is VolplexError {
    return value instanceof VolplexError && (kind === undefined || value.kind === kind);
  }

  /** Prefixes the message with the operation and volume ("mount data: …"), keeping the kind. */
  public static wrap(error: unknown, context: string): VolplexError {
    if (VolplexError.is(error)) {
      return new VolplexError(error.kind, `${context}: ${error.message}`, { cause: error });
    }
    const text = error instanceof Error ? error.message : String(error);
    return new VolplexError('System', `${context}: ${text}`, { cause: error });
  }
}
