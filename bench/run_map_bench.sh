#!/usr/bin/env bash
# Wall time of `spikemesh map` (partition with its output-axon rounds, tables, traffic estimate, placement):
#   small  configs/fsddim_fmnist.yaml: models/fsddim_small (393,568 neurons) on 2 x 2 Loihi 2-like chips
#   paper  PAPER_NET (default out/paper_estimate/network.h5, the FSDDIM `paper` preset made by
#          scripts/paper_estimate) on 3 x 2 Loihi 2-like chips; skipped when the file is missing
# Each runs REPEATS times; per case: wall seconds of every run, best, exit status and the map's summary
# line (or its error) go to bench/results/map.json. Environment: BUILD_DIR (default build), REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build} REPEATS=${REPEATS:-3} PAPER_NET=${PAPER_NET:-out/paper_estimate/network.h5} \
/usr/bin/python3 - <<'PY'
import json, os, subprocess, tempfile, time
build, n, paper = os.environ['BUILD_DIR'], int(os.environ['REPEATS']), os.environ['PAPER_NET']
root = os.getcwd()
cases = {'small': os.path.join(root, 'configs/fsddim_fmnist.yaml')}
labels = {'small': 'configs/fsddim_fmnist.yaml'}
if os.path.exists(paper):
    cfg = tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False)
    cfg.write(f"network: {os.path.abspath(paper)}\nchip:\n  base: {root}/configs/chip_loihi2.yaml\n"
              "  mesh: {chips_x: 3, chips_y: 2}\n")
    cfg.close()
    cases['paper'] = cfg.name
    labels['paper'] = (f'{paper} on configs/chip_loihi2.yaml, mesh chips_x: 3, chips_y: 2')
else:
    print(f'paper: {paper} missing, skipped')
out = {}
for name, cfg in cases.items():
    walls, rc, summary = [], None, ''
    for k in range(n):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.monotonic()
            p = subprocess.run([f'{build}/spikemesh', 'map', cfg, '--out', d], capture_output=True, text=True)
            walls.append(round(time.monotonic() - t0, 2))
        rc = p.returncode
        lines = [l for l in (p.stdout + p.stderr).splitlines() if l.startswith(('chip:', 'spikemesh map: error', 'smallest'))]
        summary = ' | '.join(lines)
        print(f'{name} run {k + 1}: {walls[-1]} s, exit {rc}: {summary}')
    out[name] = {'config': labels[name], 'wall_s': walls, 'best_s': min(walls), 'exit': rc, 'summary': summary}
os.makedirs('bench/results', exist_ok=True)
json.dump(out, open('bench/results/map.json', 'w'), indent=2)
print('wrote bench/results/map.json')
PY
