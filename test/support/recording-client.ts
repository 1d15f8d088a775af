import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A wrapper for a FUSE client binary that appends its argv (NUL-separated, an empty field
 * ending each call) to a log, then execs the real client: what volplex ran, seen at the binary.
 */
export class RecordingClient {
  /** Give this as backends.<type>.binary. */
  public readonly path: string;
  readonly #log: string;

  public constructor(directory: string, binary: string, name = 'client-recording.sh') {
    this.path = join(directory, name);
    this.#log = join(directory, `${name}.argv`);
    writeFileSync(this.path, `#!/bin/sh\nprintf '%s\\0' "$0" "$@" >>'${this.#log}'\nprintf '\\0' >>'${this.#log}'\nexec '${binary}' "$@"\n`);
    chmodSync(this.path, 0o755);
  }

  /** Every call so far, argv[0] being the wrapper. */
  public calls(): string[][] {
    return (existsSync(this.#log) ? readFileSync(this.#log, 'utf8') : '').split('\0\0').filter((record) => record !== '').map((record) => record.split('\0'));
  }
}
