#!/usr/bin/python3
"""Brian2 (C++ standalone, one thread) on the shape of spikemesh's reference benchmark network.

Same shape as make_benchmark_network / bench_reference: N LIF neurons driven by a constant input with
random thresholds (periods of 16..24 steps, about 5 % firing per step), each with `fanout` synapses to
uniformly random targets (duplicates allowed, as in ours) with random mixed-sign weights that jitter the
phase; dt = 1 ms = one step, synaptic delay 0 (a spike at step t changes v before step t + 1's threshold,
as in ours).

Timing: the project is compiled once, then its `main` binary is run `--repeats` times. Each run builds
the network (synapse generation happens inside `main`), runs `--warmup` untimed steps, zeroes the spike
counters, then runs `--steps` steps. The number reported is Brian2's own timing of that last run()
(results/last_run_info.txt, read back as device._last_run_time): with OpenMP off it is std::clock()
around the run loop, i.e. process CPU time of the simulation only, no set-up, no file output. The wall
time of the whole `main` process (set-up included) is recorded too, for context only.

Synaptic events = spikes in the timed run x fanout (every neuron has exactly `fanout` synapses).
Writes bench/results/brian2.json (or --out). The generated project goes under /tmp (--build-dir).

Run with /usr/bin/python3 (Debian python3-brian 2.5.1).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--neurons', type=int, default=100000)
    ap.add_argument('--fanout', type=int, default=100)
    ap.add_argument('--warmup', type=int, default=500, help='untimed steps before the timed run')
    ap.add_argument('--steps', type=int, default=200, help='timed steps')
    ap.add_argument('--repeats', type=int, default=3, help='runs of the compiled binary')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--build-dir', default='/tmp/spikemesh_brian2_bench')
    ap.add_argument('--out', default='bench/results/brian2.json')
    args = ap.parse_args()
    if os.path.abspath(args.build_dir).startswith(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep):
        sys.exit('brian2_reference.py: --build-dir must be outside the repository')

    import brian2 as b2
    from brian2 import ms, prefs

    b2.set_device('cpp_standalone', directory=args.build_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0        # one thread, no OpenMP
    b2.defaultclock.dt = 1 * ms
    b2.seed(args.seed)

    n, fanout = args.neurons, args.fanout
    tau = 20 * ms
    # v_k = 1 - exp(-k dt / tau) from v = 0: threshold 1 - exp(-T / tau) gives a period of about T steps.
    th_lo, th_hi = 1 - b2.exp(-16 / 20.0), 1 - b2.exp(-24 / 20.0)
    eqs = '''
    dv/dt = (1 - v) / tau : 1
    th : 1 (constant)
    nspikes : integer
    '''
    G = b2.NeuronGroup(n, eqs, threshold='v > th', reset='v = 0; nspikes += 1', method='exact',
                       namespace={'tau': tau})
    G.th = f'{th_lo} + ({th_hi} - {th_lo}) * rand()'
    G.v = 'th * rand()'
    # Weight scale relative to threshold as in ours (max |w| = 12 * 64 against 64 * vth_mant ~ 64 * 1280).
    wmax = 0.6 * 12.0 / 1280.0
    S = b2.Synapses(G, G, 'w : 1', on_pre='v_post += w')
    S.connect(j=f'int(rand() * N_post) for _k in range({fanout})')
    S.w = f'{wmax} * (2 * rand() - 1)'
    b2.run(args.warmup * ms)
    G.nspikes = 0
    b2.run(args.steps * ms)

    t0 = time.perf_counter()
    b2.device.build(directory=args.build_dir, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0

    runs = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        b2.device.run(args.build_dir, with_output=False, run_args=[])
        process_wall = time.perf_counter() - t0
        run_cpu = float(b2.device._last_run_time)
        spikes = int(sum(G.nspikes[:]))
        events = spikes * fanout
        runs.append({'run_s': run_cpu, 'process_wall_s': process_wall, 'spikes': spikes, 'events': events})
        print(f'repeat {r}: {args.steps} steps, run {run_cpu:.3f} s (Brian2 std::clock), main process wall '
              f'{process_wall:.3f} s, {events / run_cpu / 1e6:.2f} M events/s, '
              f'activity {spikes / (n * args.steps):.4f}', flush=True)

    ev = [x['events'] / x['run_s'] for x in runs]
    st = [args.steps / x['run_s'] for x in runs]
    activity = statistics.median(x['spikes'] / (n * args.steps) for x in runs)
    print(f'synaptic events/s: best {max(ev) / 1e6:.2f} M, median {statistics.median(ev) / 1e6:.2f} M; '
          f'steps/s best {max(st):.2f}; activity {activity:.4f}')
    result = {
        'benchmark': 'brian2_cpp_standalone',
        'command': '/usr/bin/python3 ' + ' '.join(sys.argv),
        'brian2_version': b2.__version__,
        'cpu_model': cpu_model(),
        'threads': 1,
        'compiler_args': list(prefs.codegen.cpp.extra_compile_args_gcc),
        'neurons': n,
        'fanout': fanout,
        'synapses': n * fanout,
        'seed': args.seed,
        'warmup_steps': args.warmup,
        'timed_steps': args.steps,
        'repeats': args.repeats,
        'timing': 'device._last_run_time of the timed run() (std::clock(), process CPU time, one thread)',
        'compile_s': compile_s,
        'activity': activity,
        'runs': runs,
        'events_per_s_cpu': {'best': max(ev), 'median': statistics.median(ev), 'all': ev},
        'steps_per_s_cpu': {'best': max(st), 'median': statistics.median(st)},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
