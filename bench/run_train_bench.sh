#!/usr/bin/env bash
# Training throughput of one fsddim training iteration on this machine's CPU, before and after: the "before"
# package (and its presets) is taken at git revision BEFORE, the "after" is this checkout, with and without
# channels-last activations, each under glibc's malloc and under jemalloc (scripts/lib/allocator.sh).
# bench/train_bench.py runs the variants interleaved iteration by iteration in one process at nice 10; the
# allocator is a property of the process, so each round runs one process per allocator, alternating, and
# the rounds' raw files are merged into bench/results/train.json: wall and CPU time per iteration,
# images/s and images per CPU-second (medians), minor page faults, the speedups against glibc + before, and
# the load average.
# Environment: BEFORE (default 0979700, the last revision before the CPU optimisation), PRESETS ("tiny small"),
# ROUNDS (3: processes per allocator), THREADS (1), ALLOCATORS ("glibc jemalloc").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/allocator.sh
BEFORE=${BEFORE:-0979700}
PRESETS=${PRESETS:-tiny small}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
ALLOCATORS=${ALLOCATORS:-glibc jemalloc}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git archive "$BEFORE" model/fsddim configs/fsddim | tar -x -C "$tree"
jemalloc="$(spikemesh_jemalloc_path)"
for r in $(seq 1 "$ROUNDS"); do
  for alloc in $ALLOCATORS; do
    case "$alloc" in
      glibc) preload="" ;;
      jemalloc) [ -n "$jemalloc" ] || { echo "run_train_bench: libjemalloc.so.2 not installed (Debian libjemalloc2)" >&2; exit 1; }
                preload="$jemalloc" ;;
      *) echo "run_train_bench: ALLOCATORS: unknown allocator '$alloc' (glibc, jemalloc)" >&2; exit 2 ;;
    esac
    echo "== round $r, $alloc"
    # shellcheck disable=SC2086
    env LD_PRELOAD="$preload" MALLOC_CONF="$SPIKEMESH_JEMALLOC_CONF" nice -n 10 /usr/bin/python3 \
      bench/train_bench.py --before "$tree/model" --presets $PRESETS --repeats 1 --threads "$THREADS" \
      --raw "$tree/raw_${r}_${alloc}.json" > "$tree/log_${r}_${alloc}.txt"
    grep "round" "$tree/log_${r}_${alloc}.txt"
  done
done
/usr/bin/python3 bench/train_bench.py --merge "$tree"/raw_*.json --out bench/results/train.json \
  --command "BEFORE=$BEFORE PRESETS='$PRESETS' ROUNDS=$ROUNDS THREADS=$THREADS ALLOCATORS='$ALLOCATORS' bench/run_train_bench.sh" \
  --note "before_revision=$(git rev-parse "$BEFORE")" \
  --note "after_revision=$(git rev-parse HEAD)$(git diff --quiet HEAD -- model/fsddim || echo '+uncommitted')" >/dev/null
echo "bench/results/train.json written"
