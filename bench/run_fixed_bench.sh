#!/usr/bin/env bash
# Fixed-point forward (model/fsddim/fixed.py) throughput and memory on this machine's CPU, before and after:
# the "before" package is taken at git revision BEFORE, the "after" is this checkout; bench/fixed_bench.py
# runs one network call of each in turn per round, checks they are bit-identical, and writes
# bench/results/fixed.json. Runs under jemalloc (scripts/lib/allocator.sh), as `scripts/fsddim evaluate` does.
# Environment: BEFORE (default 8abd3dd, the last revision before the change), BATCH (100), REPEATS (5).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/allocator.sh
BEFORE=${BEFORE:-8abd3dd}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git archive "$BEFORE" model/fsddim | tar -x -C "$tree"
spikemesh_fast_allocator
nice -n 10 /usr/bin/python3 bench/fixed_bench.py --before "$tree/model/fsddim" --before-label "$BEFORE" --batch "${BATCH:-100}" \
  --repeats "${REPEATS:-5}" --threads 1 --out bench/results/fixed.json
