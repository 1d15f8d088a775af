#!/usr/bin/env bash
# Builds a root filesystem that runs volplex: Debian bookworm (debootstrap, minbase) with the
# FUSE and mount clients, Aliyun's ossfs built from its source (packaging/build-ossfs.sh; only
# its run-time libraries go in, never the toolchain), the host's Node.js and the built project
# with production modules. It is the rootfs/ of the managed plugin and, through `docker import`,
# the container image.
#
# usage: packaging/rootfs/build.sh DIR    (run `npm ci && npm run build` first)
#   DIR  where the root filesystem is made (~470 MB); it must not exist or be empty.
#   env VOLPLEX_ROOTFS_CACHE  tarball of the Debian part (default /var/cache/volplex/rootfs-bookworm.tar).
#        The first build makes it (debootstrap ~50 s + packages ~40 s); later builds unpack it in
#        seconds. Delete it to pick up Debian updates.
#   env VOLPLEX_DEBIAN_MIRROR  the Debian mirror debootstrap uses (default: the one this host's apt
#        sources name, found by packaging/rootfs/debian-mirror.sh).
#   env VOLPLEX_OSSFS_SOURCE  the ossfs source tarball, or a directory holding one (default
#        ../shared/third_party next to this repository). Built once per machine into
#        VOLPLEX_OSSFS_CACHE (default /var/cache/volplex/ossfs). Without it the root filesystem
#        has no ossfs, and says so.
# On the host it installs nothing, except the debootstrap package when the cache is missing and
# debootstrap is not installed, and ossfs's build tools while no ossfs is built for its source;
# it says so first. Progress: one line per step on stderr, with the elapsed time; stdout is the
# size of DIR. Its temporary files are removed, also on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../steps.sh
source "$here/../steps.sh"
root=${1:?usage: packaging/rootfs/build.sh DIR}
repo=$(cd "$here/../.." && pwd)
cache=${VOLPLEX_ROOTFS_CACHE:-/var/cache/volplex/rootfs-bookworm.tar}
# libfuse2 … libssl3: what ossfs needs at run time.
packages=(glusterfs-client s3fs nfs-common fuse3 ca-certificates libfuse2 libcurl4 libxml2 libssl3)

[ -f "$repo/dist/volplex.js" ] || { echo "build the project first: npm ci && npm run build" >&2; exit 1; }
if [ -e "$root" ] && [ -n "$(ls -A "$root")" ]; then
  echo "$root exists and is not empty: give a new directory" >&2
  exit 1
fi
made_root=0
[ -e "$root" ] || made_root=1
finish() {
  local status=$?
  rm -f "$root.debootstrap.log" "$cache.partial"
  if [ "$status" != 0 ] && [ "$made_root" = 1 ]; then
    rm -rf "$root"
  fi
}
trap finish EXIT
# Debian packages into the root filesystem, through its own apt; no package lists are kept.
install_into_root() {
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
  chroot "$root" apt-get clean
  rm -rf "$root/var/lib/apt/lists/"*
}
mkdir -p "$root"
if [ -f "$cache" ]; then
  step "unpacking the cached Debian base $cache (VOLPLEX_ROOTFS_CACHE)"
  tar -C "$root" -xf "$cache"
else
  if ! command -v debootstrap >/dev/null; then
    step "installing the Debian package debootstrap on this host (apt-get install debootstrap): it is needed once, to make the cache"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  mirror=$("$here/debian-mirror.sh")
  step "debootstrap --variant=minbase bookworm $mirror into $root (about 50 s; only while $cache is missing)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  step "installing ${packages[*]} into the root filesystem (about 40 s)"
  install_into_root "${packages[@]}"
  step "caching the Debian base as $cache, so the next build takes seconds"
  mkdir -p "$(dirname "$cache")"
  tar -C "$root" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
fi

# A cache made before a package joined the list lacks it: add what is missing, and keep that.
missing=()
for package in "${packages[@]}"; do
  chroot "$root" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "adding ${missing[*]}, which the cached Debian base lacks, and refreshing the cache"
  install_into_root "${missing[@]}"
  tar -C "$root" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
fi

ossfs_status=0
ossfs=$(bash "$here/../build-ossfs.sh") || ossfs_status=$?
if [ "$ossfs_status" = 0 ]; then
  step "adding Aliyun's ossfs $(grep -o 'V[0-9][0-9.]*' "$(dirname "$ossfs")/VERSION"), built from its source, as /usr/local/bin/ossfs"
  install -m 0755 "$ossfs" "$root/usr/local/bin/ossfs"
  # GPL-2.0: its licence and where its source is travel with the binary.
  mkdir -p "$root/usr/local/share/doc/ossfs"
  cp "$(dirname "$ossfs")/COPYING" "$root/usr/local/share/doc/ossfs/COPYING"
  echo "Built from Aliyun's ossfs source, https://github.com/aliyun/ossfs ($(basename "$(dirname "$ossfs")") is the sha256 of the tarball)." >"$root/usr/local/share/doc/ossfs/SOURCE"
  chroot "$root" /usr/local/bin/ossfs --version >/dev/null || { echo "ossfs does not run inside the root filesystem (a run-time library missing?)" >&2; exit 1; }
elif [ "$ossfs_status" = 3 ]; then
  step "this root filesystem has no ossfs: type=ossfs volumes cannot mount in it"
else
  exit 1
fi

step "adding this host's Node.js $(node --version) and the built project"
install -m 0755 "$(command -v node)" "$root/usr/local/bin/node"
app=$root/opt/volplex
rm -rf "$app"
mkdir -p "$app/dist"
# The bundled daemon (entry and chunks) and its command helper; node_modules for better-sqlite3 (a native addon, not bundled).
cp -a "$repo"/dist/*.js "$app/dist/"
cp -a "$repo/package.json" "$repo/package-lock.json" "$repo/config" "$repo/bin" "$app/"
ln -sf /opt/volplex/bin/volplex.js "$root/usr/local/bin/volplex"
step "copying node_modules and pruning development dependencies"
# A real copy: in a git worktree node_modules may be a symlink, and npm prune must never reach the original.
cp -a "$(realpath "$repo/node_modules")" "$app/node_modules"
[ ! -L "$app/node_modules" ] || { echo "node_modules was not copied as a directory" >&2; exit 1; }
(cd "$app" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1)
mkdir -p "$root/etc/volplex" "$root/var/lib/volplex" "$root/mnt/volumes" "$root/run/docker/plugins"
size=$(du -sh "$root" | cut -f1)
step "root filesystem ready: $root, $size"
echo "$size"
