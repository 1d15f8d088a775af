#!/usr/bin/env bash
# Starts rpcbind and a user-space NFS server (nfs-ganesha, VFS) exporting $1/nfs/export.
# Writes VOLPLEX_TEST_NFS_* to $1/env.
set -euo pipefail
work=$1
dir=$work/nfs
mkdir -p "$dir/export/existing"
if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
  rpcbind -w -f >"$dir/rpcbind.log" 2>&1 &
  echo $! >"$dir/rpcbind.pid"
  for _ in $(seq 1 25); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.2; done
fi
cat >"$dir/ganesha.conf" <<CONF
NFS_CORE_PARAM { Protocols = 3, 4; }
NFSV4 { Graceless = true; }
EXPORT {
  Export_Id = 1; Path = $dir/export; Pseudo = $dir/export;
  Access_Type = RW; Squash = No_Root_Squash; SecType = sys;
  FSAL { Name = VFS; }
}
CONF
ganesha.nfsd -F -f "$dir/ganesha.conf" -L "$dir/ganesha.log" -p "$dir/ganesha.pid" >"$dir/ganesha.out" 2>&1 &
echo $! >"$dir/launcher.pid"
for _ in $(seq 1 75); do
  showmount --exports --no-headers 127.0.0.1 2>/dev/null | grep -q "$dir/export" && break
  sleep 0.2
done
showmount --exports --no-headers 127.0.0.1 | grep -q "$dir/export" || { echo "nfs-ganesha did not start:" >&2; tail -20 "$dir/ganesha.log" >&2; exit 1; }
{
  echo "export VOLPLEX_TEST_NFS_SERVER=127.0.0.1"
  echo "export VOLPLEX_TEST_NFS_SHARE=$dir/export"
} >>"$work/env"
