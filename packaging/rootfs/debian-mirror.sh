#!/usr/bin/env bash
# Prints the Debian mirror for debootstrap: VOLPLEX_DEBIAN_MIRROR when set (a mirror of your own),
# else the one this host's apt uses: the first URI of an enabled `deb` source for a main suite
# (not -security or -updates), from /etc/apt/sources.list.d/*.sources (deb822), then
# /etc/apt/sources.list and sources.list.d/*.list (one-line form). So the build works wherever
# apt works; no mirror host is written into volplex.
#
# usage: packaging/rootfs/debian-mirror.sh [APT_DIR]   (default /etc/apt)
set -euo pipefail
if [ -n "${VOLPLEX_DEBIAN_MIRROR:-}" ]; then
  echo "$VOLPLEX_DEBIAN_MIRROR"
  exit 0
fi
apt_dir=${1:-/etc/apt}

# deb822 stanzas are separated by blank lines; "#" lines are comments.
from_sources() {
  awk '
    function stanza_end() {
      if (!found && deb && main && enabled != "no" && uri != "") { print uri; found = 1 }
      deb = 0; main = 0; uri = ""; enabled = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { stanza_end(); next }
    tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
    tolower($1) == "uris:" { uri = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i !~ /[-\/]/) main = 1 }
    tolower($1) == "enabled:" { enabled = tolower($2) }
    END { stanza_end() }
  ' "$1"
}

# deb [options] URI SUITE COMPONENTS…
from_list() {
  awk '
    $1 != "deb" { next }
    {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if (i + 1 <= NF && $(i + 1) !~ /[-\/]/) { print $i; exit }
    }
  ' "$1"
}

shopt -s nullglob
for file in "$apt_dir"/sources.list.d/*.sources; do
  mirror=$(from_sources "$file")
  [ -z "$mirror" ] || { echo "$mirror"; exit 0; }
done
for file in "$apt_dir/sources.list" "$apt_dir"/sources.list.d/*.list; do
  [ -f "$file" ] || continue
  mirror=$(from_list "$file")
  [ -z "$mirror" ] || { echo "$mirror"; exit 0; }
done
echo "no Debian mirror in $apt_dir/sources.list.d/*.sources, $apt_dir/sources.list or $apt_dir/sources.list.d/*.list: set VOLPLEX_DEBIAN_MIRROR to one (http://…/debian)" >&2
exit 1
