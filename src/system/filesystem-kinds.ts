// Filesystems whose calls can wait on a server or a user-space process forever.
const REMOTE_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', '9p', 'afs', 'lustre', 'glusterfs', 'gfs2', 'ocfs2', 'beegfs', 'gpfs', 'orangefs', 'ncpfs', 'coda']);

/** Whether a filesystem type (mountinfo's fstype field) is served over a network or by a FUSE process. */
export function isRemoteFilesystem(fsType: string): boolean {
  return fsType === 'fuse' || fsType.startsWith('fuse.') || fsType === 'fuseblk' || REMOTE_TYPES.has(fsType);
}
