#!/usr/bin/env bash
# Builds a root filesystem that runs volplex: Debian bookworm (debootstrap, minbase) with the
# FUSE and mount clients, the host's Node.js and the built project with production modules.
# It is the rootfs/ of the managed plugin and, through `docker import`, the container image.
# The Debian part is cached as a tarball ($VOLPLEX_ROOTFS_CACHE) so rebuilds take seconds.
# usage: packaging/rootfs/build.sh DIR    (run `npm ci && npm run build` first)
set -euo pipefail
root=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VOLPLEX_ROOTFS_CACHE:-/var/cache/volplex/rootfs-bookworm.tar}
packages=(glusterfs-client s3fs nfs-common fuse3 ca-certificates)

[ -f "$repo/dist/src/cli/main.js" ] || { echo "build the project first: npm ci && npm run build" >&2; exit 1; }
mkdir -p "$root"
if [ -f "$cache" ]; then
  tar -C "$root" -xf "$cache"
else
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1
  chroot "$root" apt-get clean
  rm -rf "$root/var/lib/apt/lists/"* "$root.debootstrap.log"
  mkdir -p "$(dirname "$cache")"
  tar -C "$root" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
fi

install -m 0755 "$(command -v node)" "$root/usr/local/bin/node"
app=$root/opt/volplex
rm -rf "$app"
mkdir -p "$app/dist"
cp -a "$repo/dist/src" "$repo/dist/drivers" "$app/dist/"
cp -a "$repo/package.json" "$repo/package-lock.json" "$repo/config" "$repo/bin" "$app/"
cp -a "$repo/node_modules" "$app/node_modules"
(cd "$app" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1)
mkdir -p "$root/etc/volplex" "$root/var/lib/volplex" "$root/mnt/volumes" "$root/run/docker/plugins"
du -sh "$root" | cut -f1
