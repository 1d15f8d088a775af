import type { VolumeRecord, VolumeSharing } from '../store/store.js';
import { accessOf } from './volume-access.js';

/** Status fields of a volume in a store shared by many hosts: never a secret, only host names and times. */
export function sharingStatus(record: VolumeRecord, sharing: VolumeSharing): Record<string, unknown> {
  const { owner } = sharing;
  return {
    access: accessOf(record),
    ...(record.host === undefined ? {} : { createdOn: record.host }),
    mountedOn: sharing.mountedOn,
    ...(owner === undefined ? {} : { owner: owner.host }),
    ...(owner?.expiresInSeconds === undefined ? {} : { ownerLeaseExpiresInSeconds: owner.expiresInSeconds }),
    ...(sharing.conflict === undefined ? {} : { ownerConflict: sharing.conflict }),
    ...(sharing.unreachableSince === undefined ? {} : { store: `store unreachable since ${sharing.unreachableSince}: answers come from this host's cache` }),
  };
}
