#!/usr/bin/env bash
# Builds Aliyun's ossfs (the s3fs-based 1.x line, GPL-2.0) from its source tarball, once per
# machine: the binary is kept in a cache directory named after the tarball's sha256, and later
# calls only print its path. ossfs stays an external program: nothing of it enters this repository.
#
# usage: packaging/build-ossfs.sh        (root, Debian bookworm)
#   env VOLPLEX_OSSFS_SOURCE  the source tarball, or a directory holding one ossfs-*.tar.gz
#                             (default: ../shared/third_party next to this repository)
#       VOLPLEX_OSSFS_CACHE   where built binaries are kept (default /var/cache/volplex/ossfs):
#                             <cache>/<sha256 of the tarball>/ossfs
# stdout: the path of the built ossfs. Exit status 3, with a step line saying so, when there is
# no source tarball; 1 when the build fails (its log is named). When the binary is not cached yet
# it installs the build tools and libraries it needs with apt-get (never the package `fuse`,
# which would remove fuse3), saying so first. Progress: one line per step on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=steps.sh
source "$here/steps.sh"
repo=$(cd "$here/.." && pwd)
source=${VOLPLEX_OSSFS_SOURCE:-$repo/../shared/third_party}
cache=${VOLPLEX_OSSFS_CACHE:-/var/cache/volplex/ossfs}
no_source() {
  step "no ossfs source: $* (VOLPLEX_OSSFS_SOURCE)"
  exit 3
}
build_deps=(build-essential autoconf automake libtool pkg-config libfuse-dev libcurl4-openssl-dev libxml2-dev libssl-dev mime-support)

if [ -d "$source" ]; then
  tarballs=("$source"/ossfs-*.tar.gz)
  [ -f "${tarballs[0]}" ] || no_source "$source holds no ossfs-*.tar.gz"
  [ ${#tarballs[@]} = 1 ] || { echo "more than one ossfs source in $source: set VOLPLEX_OSSFS_SOURCE to one of ${tarballs[*]}" >&2; exit 1; }
  source=${tarballs[0]}
fi
[ -f "$source" ] || no_source "$source does not exist"
sum=$(sha256sum "$source" | cut -d' ' -f1)
dir=$cache/$sum
if [ -x "$dir/ossfs" ]; then
  echo "$dir/ossfs"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per machine; whoever waited finds the binary made.
exec 8>"$cache/.lock"
flock 8
if [ -x "$dir/ossfs" ]; then
  echo "$dir/ossfs"
  exit 0
fi
missing=()
for package in "${build_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing the Debian packages ossfs builds with on this host (apt-get install ${missing[*]}): needed once, while $dir is missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/volplex-ossfs-build.XXXXXX")
trap 'rm -rf "$work" "$dir.partial"' EXIT
log=$cache/build-$sum.log
step "building ossfs from $(basename "$source") (sha256 $sum) into $dir (about 30 s on 2 cores; log $log)"
started=$SECONDS
if ! (tar -C "$work" -xzf "$source" && cd "$work"/ossfs-* && ./autogen.sh && ./configure && make -j"$(nproc)") >"$log" 2>&1; then
  tail -20 "$log" >&2
  echo "building ossfs failed: see $log" >&2
  exit 1
fi
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
install -m 0755 -s "$work"/ossfs-*/src/ossfs "$dir.partial/ossfs"
"$dir.partial/ossfs" --version | head -1 >"$dir.partial/VERSION"
cp "$work"/ossfs-*/COPYING "$dir.partial/COPYING"
mv "$dir.partial" "$dir"
step "built $(cat "$dir/VERSION") in $((SECONDS - started)) s: $dir/ossfs"
echo "$dir/ossfs"
