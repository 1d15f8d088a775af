#!/usr/bin/env bash
# Starts a local S3-compatible server (s3rver, keys S3RVER:S3RVER) in $1 with two buckets.
# Writes VOLPLEX_TEST_S3_* to $1/env.
set -euo pipefail
work=$1
dir=$work/s3
mkdir -p "$dir/data/volplex-e2e" "$dir/data/volplex-second"
port=4569
node node_modules/s3rver/bin/s3rver.js -d "$dir/data" -p "$port" -a 127.0.0.1 --silent >"$dir/s3rver.log" 2>&1 &
echo $! >"$dir/s3rver.pid"
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done
{
  echo "export VOLPLEX_TEST_S3_URL=http://127.0.0.1:$port"
  echo "export VOLPLEX_TEST_S3_BUCKET=volplex-e2e"
  echo "export VOLPLEX_TEST_S3_SECOND_BUCKET=volplex-second"
  echo "export VOLPLEX_TEST_S3_DATA=$dir/data"
  echo "export VOLPLEX_TEST_S3_KEY_ID=S3RVER"
  echo "export VOLPLEX_TEST_S3_KEY_SECRET=S3RVER"
} >>"$work/env"
