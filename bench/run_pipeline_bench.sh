#!/usr/bin/env bash
# Image pipelining on the default job (configs/fsddim_fmnist.yaml, Loihi 2-like 2 x 2 chips, S = 10): the same
# build runs it with fsddim.pipeline 1 (one image after the other) and auto (up to ceil((T + D) / T) images in
# flight), IMAGES images each, and bench/results/pipeline.json records per mode the latency of every image,
# the emulated throughput, the energy per image, the critical path per timestep, and the ratios against the
# targets (throughput >= 5x the sequential one, <= 50 mJ per image, <= 0.12 s per image); it also checks that
# both modes gave the same payloads. The float-model PSNR is skipped (fsddim.float_checkpoint: '').
# Environment: BUILD_DIR (default build), IMAGES (10), OUT (out/pipeline_bench: the two runs' folders),
# SETS (more config overrides for both modes, space-separated key=value, e.g.
# "chip.mapping.rates=workload"; recorded in the result).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
IMAGES=${IMAGES:-10}
OUT=${OUT:-out/pipeline_bench}
SETS=${SETS:-}
mkdir -p "$OUT"
extra=()
for kv in $SETS; do extra+=(--set "$kv"); done
cmake --build "$BUILD_DIR" -j2 --target spikemesh

for mode in 1 auto; do
  echo "== default job, $IMAGES images, fsddim.pipeline=$mode"
  /usr/bin/time -f "%e s host" "$BUILD_DIR/spikemesh" run configs/fsddim_fmnist.yaml --set "fsddim.images=$IMAGES" \
    --set "fsddim.pipeline=$mode" --set "fsddim.float_checkpoint=''" ${extra[@]+"${extra[@]}"} \
    --out "$OUT/pipeline_$mode" | tail -4
done

OUT=$OUT IMAGES=$IMAGES SETS=$SETS /usr/bin/python3 - <<'PY'
import json, os
import h5py
import numpy as np
out, images, sets = os.environ['OUT'], int(os.environ['IMAGES']), os.environ['SETS']
modes = {}
for mode in ('1', 'auto'):
    d = os.path.join(out, f'pipeline_{mode}')
    r = json.load(open(os.path.join(d, 'report.json')))
    h = json.load(open(os.path.join(d, 'host.json')))
    f = r['fsddim']
    cp = r['critical_path']
    steps = cp['timesteps']
    modes[mode] = {
        'images_in_flight': f['pipeline']['images_in_flight'],
        'reference_match': f['reference_match'],
        'timesteps': steps,
        'run_cycles': r['cycles'] if 'cycles' in r else None,
        'throughput_images_per_s': f['throughput_images_per_s'],
        'latency_s_per_image': [i['latency_s'] for i in f['per_image']],
        'latency_s_mean': f['per_image_mean']['latency_s'],
        'energy_j_per_image': f['per_image_mean']['energy_j'],
        'critical_path_cycles_per_timestep': {k: v / steps for k, v in cp['cycles_by_phase'].items()},
        'cycles_per_timestep': cp['cycles'] / steps,
        'top_bounding_cores': cp['top_bounding_cores'][:3],
        'host_seconds': h['host_seconds'],
        'placement': f['placement'],
    }
    with h5py.File(os.path.join(d, 'samples.h5'), 'r') as s:
        modes[mode]['payloads'] = s['payloads'][()]
same = bool(np.array_equal(modes['1'].pop('payloads'), modes['auto'].pop('payloads')))
seq, pipe = modes['1'], modes['auto']
result = {
    'command': (f'SETS="{sets}" ' if sets else '') + f'IMAGES={images} bench/run_pipeline_bench.sh',
    'config': 'configs/fsddim_fmnist.yaml', 'images': images,
    'sequential': seq, 'pipelined': pipe, 'payloads_identical': same,
    'throughput_ratio': pipe['throughput_images_per_s'] / seq['throughput_images_per_s'],
    'targets': {
        'throughput_ratio_min': 5.0,
        'energy_j_per_image_max': 0.050,
        'latency_s_max': 0.12,
        'throughput_ratio_over_target': pipe['throughput_images_per_s'] / seq['throughput_images_per_s'] / 5.0,
        'pipelined_energy_over_target': pipe['energy_j_per_image']['total'] / 0.050,
        'sequential_latency_over_target': seq['latency_s_mean'] / 0.12,
    },
}
json.dump(result, open('bench/results/pipeline.json', 'w'), indent=2)
print(f"sequential: {seq['throughput_images_per_s']:.3f} images/s, {seq['latency_s_mean']:.3f} s/image, "
      f"{seq['energy_j_per_image']['total'] * 1e3:.1f} mJ/image")
print(f"pipelined ({pipe['images_in_flight']} in flight): {pipe['throughput_images_per_s']:.3f} images/s "
      f"({result['throughput_ratio']:.2f}x), {pipe['latency_s_mean']:.3f} s/image, "
      f"{pipe['energy_j_per_image']['total'] * 1e3:.1f} mJ/image; payloads identical: {same}")
PY
