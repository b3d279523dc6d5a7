// One cycle-accurate run of the chip: map, elaborate, simulate, collect. A process can elaborate one
// SystemC design only, so call run_chip at most once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "chip_params.h"
#include "energy.h"
#include "mapping.h"
#include "network.h"
#include "reference_sim.h"

namespace spikemesh {

struct ChipRunOutput {
  ChipProgram program;
  SimResult result;
  ChipCounters counters;
  ChipTimestepRecorder timestep_record;  // when traced: per-timestep counters and raster (trace.h5)
  uint64_t barrier_cycles = 0;
  bool completed = false;
  std::string deadlock;  // the deadlock report when the watchdog stopped the run
};

// `progress` (optional) is called at the start of every timestep. `tracer` (optional, hw/tracer.h) records
// waveforms and per-timestep counters; attaching it may refuse the run (VCD size cap) before it starts.
// `state` (optional, --state-out) gets u and v of its populations after its timesteps, from the cores.
class Tracer;
ChipRunOutput run_chip(const Network& net, const ChipParams& params, const Stimulus& stim, uint32_t timesteps,
                       uint32_t context, const std::function<void(uint32_t, uint64_t)>& progress = {},
                       Tracer* tracer = nullptr, StateRecord* state = nullptr);

// What --check does with a trace: elaborates the chip for `program` and attaches `tracer`, which refuses a
// selection matching no signal or a VCD above its cap, without simulating. Counts as this process's one
// elaboration.
void check_chip_trace(const Network& net, const ChipParams& params, const ChipProgram& program, const Stimulus& stim,
                      uint32_t timesteps, uint32_t context, Tracer& tracer);

// Every counter of an elaborated chip (hw/chip_snapshot.h), named by hierarchy, with its timing.
class Chip;
ChipCounters collect_counters(const Chip& chip, const ChipParams& params);

}  // namespace spikemesh
