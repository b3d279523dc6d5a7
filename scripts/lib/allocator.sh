#!/usr/bin/env bash
# The memory allocator for PyTorch on CPU (sourced by scripts/fsddim and bench/run_train_bench.sh).
#
# glibc's malloc serves every block above its mmap threshold (at most 32 MiB on 64-bit) with a fresh mmap and
# returns it with munmap on free. A `small` training iteration allocates and frees activations of 50 MiB
# (T x batch x 32 x 28 x 28 float32) hundreds of times, so every one of them is faulted in again, page by page:
# measured on this project's 2-core VMs, 1.5 to 2.2 million minor page faults and 10 s of system time per
# iteration, 40 % of its CPU time (docs/model.md#allocator). jemalloc (Debian's libjemalloc2) with page purging
# off keeps freed pages mapped and hands them out again: the same iteration then faults a few hundred times.
# The arithmetic is untouched (same losses and weights, bit for bit); the cost is that a process keeps its
# peak memory until it exits.
#
# spikemesh_fast_allocator: exports LD_PRELOAD and MALLOC_CONF for jemalloc, unless SPIKEMESH_ALLOCATOR=system
# or LD_PRELOAD is already set (then it leaves the environment as it is); without jemalloc installed it says so
# on stderr and goes on with glibc's malloc. SPIKEMESH_ALLOCATOR other than jemalloc or system is an error
# (returns 2); otherwise returns 0.
SPIKEMESH_JEMALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1"   # never purge: freed pages stay mapped

spikemesh_jemalloc_path() {
  ldconfig -p 2>/dev/null | awk '$1 == "libjemalloc.so.2" && $NF ~ /^\// && !found {print $NF; found = 1}'
}

spikemesh_fast_allocator() {
  case "${SPIKEMESH_ALLOCATOR:-jemalloc}" in
    jemalloc) ;;
    system) return 0 ;;
    *) echo "spikemesh: SPIKEMESH_ALLOCATOR='${SPIKEMESH_ALLOCATOR}': expected jemalloc (the default) or system" >&2
       return 2 ;;
  esac
  [ -n "${LD_PRELOAD:-}" ] && return 0
  local lib
  lib="$(spikemesh_jemalloc_path)"
  if [ -z "$lib" ]; then
    # said every time: a training run under glibc's malloc is several times slower, which is easy to miss
    echo "spikemesh: libjemalloc.so.2 is not installed (Debian package libjemalloc2; scripts/test installs it):" \
         "the Python tools run under glibc's malloc, and CPU training several times slower (docs/model.md#allocator)" >&2
    return 0
  fi
  export LD_PRELOAD="$lib" MALLOC_CONF="$SPIKEMESH_JEMALLOC_CONF"
}
