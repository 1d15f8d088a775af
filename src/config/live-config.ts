import type { VolplexConfig } from './config.js';

/**
 * Settings read once at start; a reload names a change to them and keeps the old value.
 * socket, stateDir, mountRoot: the listening socket, the open store and every mount are
 * there. scope: dockerd caches Capabilities. commandTimeout: the command runner is built
 * with it. deployment: how volplex was installed. health: the probe timer and the probe
 * timeout are set up at start. docker: the holder sources and their timers likewise.
 * metrics: the listener is opened at start. hostId, store: the store is opened at start with them,
 * and this host's mount records and leases carry the host ID.
 */
export const FIXED_SETTINGS = ['socket', 'stateDir', 'mountRoot', 'scope', 'hostId', 'store', 'commandTimeout', 'deployment', 'health', 'docker', 'metrics'] as const;

export interface Replacement {
  /** Reloadable sections that now differ ("credentials", "backends.s3fs", "log"). */
  readonly changed: readonly string[];
  /** Fixed settings the new configuration would change: left at their start values. */
  readonly keptFixed: readonly string[];
}

/**
 * The one owner of "the configuration now". Readers ask for `current` when they use a
 * setting and keep no copy, so a reload reaches the next Create and Mount; mounts made
 * before stay as they are.
 */
export class LiveConfig {
  #current: VolplexConfig;

  public constructor(initial: VolplexConfig) {
    this.#current = initial;
  }

  public get current(): VolplexConfig {
    return this.#current;
  }

  /** Takes `next`, except the fixed settings, which keep their start values. */
  public replace(next: VolplexConfig): Replacement {
    const previous = this.#current;
    const keptFixed = FIXED_SETTINGS.filter((key) => !sameValue(previous[key], next[key]));
    const fixed = Object.fromEntries(FIXED_SETTINGS.map((key) => [key, previous[key]])) as Pick<VolplexConfig, (typeof FIXED_SETTINGS)[number]>;
    this.#current = { ...next, ...fixed };
    const before = sections(previous);
    const after = sections(this.#current);
    const changed = Object.keys(after).filter((section) => !sameValue(before[section], after[section]));
    return { changed, keptFixed };
  }
}

/** The configuration by section: top-level keys, and each backend on its own. */
function sections(config: VolplexConfig): Record<string, unknown> {
  const { backends, ...rest } = config;
  return { ...rest, ...Object.fromEntries(Object.entries(backends).map(([type, section]) => [`backends.${type}`, section])) };
}

/** Configuration is plain data: equal when it serializes the same (whatever the objects' prototypes). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
