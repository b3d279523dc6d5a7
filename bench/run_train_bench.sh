#!/usr/bin/env bash
# Training throughput of one fsddim training iteration on this machine's CPU, before and after: the "before"
# package (and its presets) is taken at git revision BEFORE, the "after" is this checkout, with and without
# channels-last activations. bench/train_bench.py runs them interleaved iteration by iteration in one
# process at nice 10 and writes bench/results/train.json: wall and CPU time per iteration, images/s and
# images per CPU-second (medians), the speedups and the load average.
# Environment: BEFORE (default 0979700, the last revision before the CPU optimisation), PRESETS ("tiny small"),
# REPEATS (3), THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:-0979700}
PRESETS=${PRESETS:-tiny small}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-1}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git archive "$BEFORE" model/fsddim configs/fsddim | tar -x -C "$tree"
# shellcheck disable=SC2086
nice -n 10 /usr/bin/python3 bench/train_bench.py --before "$tree/model" --presets $PRESETS --repeats "$REPEATS" \
  --threads "$THREADS" --out bench/results/train.json \
  --command "BEFORE=$BEFORE PRESETS='$PRESETS' REPEATS=$REPEATS THREADS=$THREADS bench/run_train_bench.sh" \
  --note "before_revision=$(git rev-parse "$BEFORE")" \
  --note "after_revision=$(git rev-parse HEAD)$(git diff --quiet HEAD -- model/fsddim || echo '+uncommitted')"
