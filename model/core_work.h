// Expected work of a core per timestep, from firing rates: the dendrite unit's messages in and synaptic ops,
// the output stage's messages out and the compartment sweep, priced with the core's cycle costs
// (model/core_timing.h). The balanced mapper (mapping.h) caps it per core; the compiler reports it per core
// and per population (docs/architecture.md#mapping-objective).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "chip_params.h"
#include "mapping.h"
#include "mapping_index.h"

namespace spikemesh {

// Per-neuron rates the estimate is built from (all per timestep).
struct WorkRates {
  std::vector<double> rate;       // per global neuron: spikes (firing rate)
  std::vector<double> synops_in;  // per global neuron: synaptic ops its compartment receives = the summed
                                  // firing rates of the sources of its synapses (one op per synapse per spike)
  // Per projection with a shared conv kernel (ProjKind::SharedConv), per source pixel: the summed rates of
  // the source's channels there, the messages one population axon receives (exact for groups = 1; with
  // groups a core may hold kernel rows of some groups only, and the estimate counts every channel).
  std::vector<std::vector<double>> pixel_rate;
  // Per projection, per target neuron: the synaptic ops it receives through that projection (synops_in is
  // their sum over the neuron's projections).
  std::vector<std::vector<double>> synops_by_projection;
  // The interleave objective (one image at a time): population p works only in timesteps
  // [window_start[p], window_start[p] + window_length) of each network call (its delay-balanced depth and T):
  // its spikes, their messages out, and the messages and synaptic ops they cause at their targets (a
  // balanced synapse's delay acts after the dendrite) all happen then. Empty (length 0): every population
  // works in every timestep, and a core's time is the sum over its segments.
  std::vector<uint32_t> window_start;
  uint32_t window_length = 0;
  bool windowed() const { return window_length > 0; }
};
WorkRates work_rates(const MappingIndex& index, const std::vector<double>& rates);

// A core's expected work per timestep. The sweep updates every compartment at the start of the step; the
// dendrite unit and the output stage then work in parallel, so the core's time is the sweep plus the
// longer of the two (an estimate: it ignores the mesh and the order in which messages arrive).
struct CoreWork {
  uint32_t compartments = 0;
  double messages_in = 0.0, synops = 0.0, messages_out = 0.0;
  double sweep_cycles = 0.0;     // compartments x update_active_cycles (every compartment counted active)
  double dendrite_cycles = 0.0;  // messages_in x axon_in_cycles + synops x synop_cycles
  double output_cycles = 0.0;    // messages_out x axon_out_cycles
  double cycles() const { return sweep_cycles + std::max(dendrite_cycles, output_cycles); }
  // With work windows: the core's busiest timestep (sweep + the longer of the dendrite and output work of the
  // populations working then); -1 without. What the objective caps: objective_cycles().
  double busiest_timestep_cycles = -1.0;
  double objective_cycles() const { return busiest_timestep_cycles >= 0.0 ? busiest_timestep_cycles : cycles(); }
};
CoreWork price_core_work(const CoreParams& core, uint32_t compartments, double messages_in, double synops,
                         double messages_out);

// A core's expected work per window start (messages in, synaptic ops and messages out that happen in the
// windows starting there), and the busiest timestep it gives: over every timestep t, price_core_work of all
// `compartments` and the work of the windows [start, start + length) that hold t.
struct WindowedWork {
  std::vector<double> messages_in_at, synops_at, messages_out_at;  // per window start
  void add(uint32_t start, double messages_in, double synops, double messages_out);
};
double busiest_timestep_cycles(const CoreParams& core, uint32_t compartments, const WindowedWork& w, uint32_t length);

// Every core of a compiled program (unused cores: zero). Messages in are counted from the routing entries
// that point at the core (one message per entry per source spike), synaptic ops from its compartments'
// synops_in, messages out from its compartments' routing entries: exact expectations for the given rates.
// With work windows, each core's busiest timestep too (a message and its synaptic ops in the window of the
// population that sent it, messages out in the sender's).
std::vector<CoreWork> estimate_core_work(const MappingIndex& index, const WorkRates& work, const ChipProgram& program,
                                         const CoreParams& core);

// The largest objective_cycles() of a set of cores (0 when empty).
double longest_core_cycles(const std::vector<CoreWork>& cores);

}  // namespace spikemesh
