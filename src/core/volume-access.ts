import { quote } from '../base/quote.js';
import { ACCESS_MODES, type AccessMode, type Store, type VolumeRecord } from '../store/store.js';
import { VolplexError } from './errors.js';

/** The core option every type takes beside `type`: who may mount the volume at once. */
export const ACCESS_OPTION = 'access';

/** `-o access=` as given (absent: multi), checked; the record keeps only single-writer. */
export function accessFromOption(value: string | undefined): { readonly access?: 'single-writer' } {
  if (value === undefined || value === 'multi') {
    return {};
  }
  if (value === 'single-writer') {
    return { access: value };
  }
  throw new VolplexError('InvalidParameter', `option ${quote(ACCESS_OPTION)} must be ${ACCESS_MODES.join(' or ')} (got ${quote(value)})`);
}

export function accessOf(record: VolumeRecord): AccessMode {
  return record.access ?? 'multi';
}

/**
 * type=local volumes name a directory of the host that created them: with a store shared by
 * many hosts, only that host may mount or remove them.
 */
export function assertOnOwnHost(store: Store, record: VolumeRecord): void {
  if (store.hostId === undefined || record.type !== 'local' || record.host === undefined || record.host === store.hostId) {
    return;
  }
  throw new VolplexError('Conflict', `volume is a type=local volume of host ${quote(record.host)} (its directory is there): mount and remove it on that host; this host is ${quote(store.hostId)}`);
}
