#!/usr/bin/env bash
# Training throughput of fsddim.train on this machine's CPU, before and after: the "before" tree is the
# fsddim package (and its presets) at git revision BEFORE, the "after" tree this checkout (with and without
# channels-last). Each preset runs REPEATS times per variant, interleaved, at nice 10; bench/results/train.json
# records images per CPU-second per run (bench/train_bench.py: one thread = one core's images/s), the medians,
# the speedups, each process's wall time and the load average.
# Environment: BEFORE (default 0979700, the last revision before the CPU optimisation), PRESETS ("tiny small"),
# ITERS (tiny=10,small=1: timed iterations; as many again warm up), REPEATS (2), THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:-0979700}
PRESETS=${PRESETS:-tiny small}
ITERS=${ITERS:-tiny=10,small=1}
REPEATS=${REPEATS:-2}
THREADS=${THREADS:-1}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git archive "$BEFORE" model/fsddim configs/fsddim | tar -x -C "$tree"
# shellcheck disable=SC2086
nice -n 10 /usr/bin/python3 bench/train_bench.py --variant "before=$tree/model" \
  --variant "after_contiguous=model:train.channels_last=false" --variant "after=model" \
  --presets $PRESETS --iters "$ITERS" --repeats "$REPEATS" --threads "$THREADS" --out bench/results/train.json \
  --command "BEFORE=$BEFORE PRESETS='$PRESETS' ITERS=$ITERS REPEATS=$REPEATS THREADS=$THREADS bench/run_train_bench.sh" \
  --note "before_revision=$(git rev-parse "$BEFORE")" --note "after_revision=$(git rev-parse HEAD)$(git diff --quiet HEAD -- model/fsddim || echo '+uncommitted')"
