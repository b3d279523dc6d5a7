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
};
CoreWork price_core_work(const CoreParams& core, uint32_t compartments, double messages_in, double synops,
                         double messages_out);

// Every core of a compiled program (unused cores: zero). Messages in are counted from the routing entries
// that point at the core (one message per entry per source spike), synaptic ops from its compartments'
// synops_in, messages out from its compartments' routing entries: exact expectations for the given rates.
std::vector<CoreWork> estimate_core_work(const MappingIndex& index, const WorkRates& work, const ChipProgram& program,
                                         const CoreParams& core);

// The largest cycles() of a set of cores (0 when empty).
double longest_core_cycles(const std::vector<CoreWork>& cores);

}  // namespace spikemesh
