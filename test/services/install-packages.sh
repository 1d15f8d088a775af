#!/usr/bin/env bash
# Installs the real components the tests run against, when any is missing (Debian bookworm).
set -euo pipefail
needed=(dockerd:docker.io containerd:containerd runc:runc busybox:busybox-static docker-compose:docker-compose
        glusterd:glusterfs-server mount.glusterfs:glusterfs-client s3fs:s3fs ganesha.nfsd:nfs-ganesha
        rpcbind:rpcbind nfs-ls:libnfs-utils mount.nfs:nfs-common socat:socat debootstrap:debootstrap
        prometheus:prometheus etcd:etcd-server etcdctl:etcd-client)
missing=()
for pair in "${needed[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/sbin/${pair%%:*}" ] || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] || [ -n "$(find /usr/lib -name 'libfsalvfs*' -print -quit 2>/dev/null)" ] || missing+=(nfs-ganesha-vfs)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  # The tests start private instances: no package may start its own service (prometheus on :9090, glusterd…).
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && added_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$added_policy" = 0 ] || rm -f "$policy"
fi
