#!/usr/bin/env bash
# Chip benchmarks, each run REPEATS times (one SystemC elaboration per process, so one run per process):
#   bench_chip  the 100k-neuron / 10M-synapse benchmark network on configs/chip_bench100k.yaml
#   bench_mesh  the 8x8 mesh alone under uniform random traffic at 0.001 and 0.01 flits/router/cycle
# Per-run JSON goes to bench/results/chip_runs/; the best and median of each go to
# bench/results/{chip,mesh_0.001,mesh_0.01}.json. Environment: BUILD_DIR (default build-bench), REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
REPEATS=${REPEATS:-3}
mkdir -p bench/results/chip_runs

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DSPIKEMESH_BENCH=ON
fi
cmake --build "$BUILD_DIR" -j2 --target bench_chip bench_mesh

for k in $(seq 1 "$REPEATS"); do
  echo "== bench_chip run $k"
  "$BUILD_DIR/bench/bench_chip" --chip configs/chip_bench100k.yaml --out "bench/results/chip_runs/chip_$k.json"
  for rate in 0.001 0.01; do
    echo "== bench_mesh rate $rate run $k"
    cycles=10000000
    [[ $rate == 0.01 ]] && cycles=2000000
    "$BUILD_DIR/bench/bench_mesh" --rate "$rate" --cycles "$cycles" --out "bench/results/chip_runs/mesh_${rate}_$k.json"
  done
done

REPEATS=$REPEATS /usr/bin/python3 - <<'PY'
import json, os, statistics
n = int(os.environ['REPEATS'])
def merge(name, keys):
    runs = [json.load(open(f'bench/results/chip_runs/{name}_{k}.json')) for k in range(1, n + 1)]
    out = dict(runs[0])
    out['repeats'] = n
    for key in keys:
        vals = [r[key] for r in runs]
        out[key] = {'best': max(vals), 'median': statistics.median(vals), 'all': vals}
    for key in ('wall_s', 'cpu_s'):
        out[key] = [r[key] for r in runs]
    json.dump(out, open(f'bench/results/{name}.json', 'w'), indent=2)
    return out
chip = merge('chip', ['events_per_s_wall', 'events_per_s_cpu', 'cycles_per_s_wall', 'cycles_per_s_cpu'])
m1 = merge('mesh_0.001', ['cycles_per_s_wall', 'cycles_per_s_cpu'])
m2 = merge('mesh_0.01', ['cycles_per_s_wall', 'cycles_per_s_cpu'])
M = 1e6
print(f"chip, benchmark network: {chip['events_per_s_cpu']['best'] / M:.1f} M synaptic events/s CPU best "
      f"(median {chip['events_per_s_cpu']['median'] / M:.1f}); {chip['cycles_per_s_cpu']['best'] / M:.1f} M cycles/s")
for name, m in (('0.001', m1), ('0.01', m2)):
    print(f"mesh 8x8 at {name}: {m['cycles_per_s_cpu']['best'] / M:.2f} M cycles/s CPU best "
          f"(median {m['cycles_per_s_cpu']['median'] / M:.2f})")
PY
