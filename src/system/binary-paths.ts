import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * Absolute paths of the programs volplex runs, looked up in PATH once: a bare name would
 * make every spawn try each PATH directory in turn. PATH holds local system directories.
 * A program not found is looked up again next time (it may be installed meanwhile).
 */
export class BinaryPaths {
  readonly #path: readonly string[];
  readonly #found = new Map<string, string>();

  public constructor(path: string) {
    this.#path = path.split(':').filter((dir) => isAbsolute(dir));
  }

  /** The absolute path of file, or undefined when no PATH directory has it as an executable. */
  public resolve(file: string): string | undefined {
    if (isAbsolute(file)) {
      return file;
    }
    const known = this.#found.get(file);
    if (known !== undefined) {
      return known;
    }
    for (const dir of this.#path) {
      const candidate = join(dir, file);
      try {
        accessSync(candidate, constants.X_OK);
        this.#found.set(file, candidate);
        return candidate;
      } catch {
        // Not in this directory.
      }
    }
    return undefined;
  }
}
