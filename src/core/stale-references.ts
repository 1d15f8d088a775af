import type { MountReference } from '../store/store.js';

/** What asked for a check: dockerd (re)activating the plugin, the periodic timer, a Mount of an ID counted before, a Remove. */
export type HolderCheckTrigger = 'activate' | 'periodic' | 'mount' | 'remove';

export interface StaleReference {
  readonly id: string;
  readonly lifetime: number;
  /** How many of the row's references to forget. */
  readonly count: number;
  readonly reason: string;
}

export interface HolderFacts {
  /** Container mount points that have the volume bound right now. */
  readonly holders: number;
  /** Rows counted in lifetimes before this one are from before dockerd last (re)started. */
  readonly lifetime: number;
  readonly trigger: HolderCheckTrigger;
  /** For trigger 'mount': the ID dockerd is mounting again. */
  readonly mountId?: string;
  /** Rows of this lifetime changed after this moment (ms) are left alone; so are older rows, except the mountId's and at Remove. */
  readonly changedBefore: number;
}

/**
 * The references no live container can account for, under rules that never drop one a
 * running container holds:
 * - at Remove with no holder at all, every reference is stale (dockerd has already refused
 *   the Remove if any container of its own, running or not, still uses the volume), but for
 *   one of this lifetime changed within the grace: a client that just mounted is refused the
 *   Remove, as the protocol says, until it unmounts. One counted before dockerd restarted
 *   goes whatever its age: no container of the old lifetime can still be starting;
 * - otherwise only references counted before dockerd's current lifetime can be stale (it
 *   will send Unmount for what it mounted itself), and only as many as exceed the holders:
 *   mount IDs are not container IDs, so each holder may account for any of them. The ID being
 *   mounted again goes first (dockerd mounts it again because its old mount is gone), then
 *   IDs mounted again since, then the oldest. Rows changed recently are kept (a Mount whose
 *   container has not started yet), except the ID being mounted again.
 */
export function staleReferences(rows: readonly MountReference[], facts: HolderFacts): StaleReference[] {
  if (facts.trigger === 'remove' && facts.holders === 0) {
    return rows
      .filter((row) => row.lifetime < facts.lifetime || row.changedAt <= facts.changedBefore)
      .map((row) => ({ id: row.id, lifetime: row.lifetime, count: row.count, reason: 'no running container holds the volume, and dockerd asked to remove it' }));
  }
  const prior = rows.filter((row) => row.lifetime < facts.lifetime);
  const priorCount = prior.reduce((sum, row) => sum + row.count, 0);
  let excess = priorCount - Math.min(priorCount, facts.holders);
  const remounted = new Set(rows.filter((row) => row.lifetime >= facts.lifetime).map((row) => row.id));
  const rank = (row: MountReference): number => (row.id === facts.mountId ? 0 : remounted.has(row.id) ? 1 : 2);
  const candidates = prior
    .filter((row) => row.id === facts.mountId || row.changedAt <= facts.changedBefore)
    .sort((a, b) => rank(a) - rank(b) || a.lifetime - b.lifetime || a.changedAt - b.changedAt || a.id.localeCompare(b.id));
  const stale: StaleReference[] = [];
  for (const row of candidates) {
    if (excess === 0) {
      break;
    }
    const count = Math.min(row.count, excess);
    excess -= count;
    stale.push({ id: row.id, lifetime: row.lifetime, count, reason: `counted before dockerd restarted; ${facts.holders} running container mount point(s) hold the volume, ${priorCount} reference(s) are from before the restart` });
  }
  return stale;
}
