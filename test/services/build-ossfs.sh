#!/usr/bin/env bash
# The real ossfs for the tests: built from its source tarball once per machine
# (packaging/build-ossfs.sh, cached by the tarball's sha256). Writes VOLPLEX_TEST_OSSFS_BINARY to
# $1/env; without a tarball (a checkout outside this project's CI) VOLPLEX_TEST_OSSFS_MISSING says
# why, and the real-ossfs tests are skipped by name. A failed build is left for those tests to report.
set -uo pipefail
work=$1
status=0
binary=$(bash packaging/build-ossfs.sh 2>"$work/ossfs-build.err") || status=$?
cat "$work/ossfs-build.err" >&2
case $status in
  0) printf 'export VOLPLEX_TEST_OSSFS_BINARY=%q\n' "$binary" >>"$work/env" ;;
  3) printf 'export VOLPLEX_TEST_OSSFS_MISSING=%q\n' "$(tail -1 "$work/ossfs-build.err" | sed 's/^[^]]*\] //')" >>"$work/env" ;;
  *) printf 'export VOLPLEX_TEST_OSSFS_BUILD_FAILED=%q\n' "$(tail -3 "$work/ossfs-build.err" | tr '\n' ' ')" >>"$work/env" ;;
esac
rm -f "$work/ossfs-build.err"
