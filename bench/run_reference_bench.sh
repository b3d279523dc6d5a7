#!/usr/bin/env bash
# Reference simulator vs Brian2 (C++ standalone), one thread each, on the same network shape:
# 100k neurons x 100 random synapses, about 5 % activity. Builds bench_reference if needed, runs both
# (one after the other, never together), writes bench/results/{reference,brian2}.json and prints a
# side-by-side table. Extra arguments go to both programs (e.g. --steps 400 --repeats 5).
# Environment: BUILD_DIR (default build-bench), BRIAN2_BUILD_DIR (default /tmp/spikemesh_brian2_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
BRIAN2_BUILD_DIR=${BRIAN2_BUILD_DIR:-/tmp/spikemesh_brian2_bench}
mkdir -p bench/results

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DSPIKEMESH_BENCH=ON
fi
cmake --build "$BUILD_DIR" -j2 --target bench_reference

echo "== spikemesh reference simulator"
"$BUILD_DIR/bench/bench_reference" --out bench/results/reference.json "$@"
echo "== Brian2 C++ standalone"
/usr/bin/python3 bench/brian2_reference.py --build-dir "$BRIAN2_BUILD_DIR" --out bench/results/brian2.json "$@" \
  2> >(grep -v -e FutureWarning -e 'hasattr(numpy' -e 'getattr(themodule' >&2)

/usr/bin/python3 - <<'EOF'
import json
r = json.load(open('bench/results/reference.json'))
b = json.load(open('bench/results/brian2.json'))
M = 1e6
rows = [
    ('neurons x fanout', f"{r['neurons']} x {r['fanout']}", f"{b['neurons']} x {b['fanout']}"),
    ('warmup / timed steps', f"{r['warmup_steps']} / {r['timed_steps']}", f"{b['warmup_steps']} / {b['timed_steps']}"),
    ('activity (spikes/neuron/step)', f"{r['activity']:.4f}", f"{b['activity']:.4f}"),
    ('M syn. events/s, CPU time, best', f"{r['events_per_s_cpu']['best'] / M:.1f}", f"{b['events_per_s_cpu']['best'] / M:.1f}"),
    ('M syn. events/s, CPU time, median', f"{r['events_per_s_cpu']['median'] / M:.1f}", f"{b['events_per_s_cpu']['median'] / M:.1f}"),
    ('M syn. events/s, wall, best', f"{r['events_per_s_wall']['best'] / M:.1f}", '-'),
    ('steps/s, CPU time, best', f"{r['steps_per_s_cpu']['best']:.1f}", f"{b['steps_per_s_cpu']['best']:.1f}"),
    ('set-up (s)', f"{r['build_network_s'] + r['build_simulator_s']:.2f} (build)",
     f"{min(x['process_wall_s'] - x['run_s'] for x in b['runs']):.2f} (main minus run)"),
]
w0 = max(len(x[0]) for x in rows)
print(f"\n{'':{w0}}  {'spikemesh reference':>22}  {'Brian2 standalone':>26}")
for name, a, c in rows:
    print(f"{name:{w0}}  {a:>22}  {c:>26}")
print(f"target: >= 100 M synaptic events/s on one core; "
      f"reference best {r['events_per_s_cpu']['best'] / M:.1f} M/s (CPU time)")
EOF
