// Delay balancing: gives every projection the synaptic delay that makes all paths into a population
// equally long, so a network trained with same-timestep propagation computes exactly its trained
// function on the chip (one timestep per hop), with its outputs `depth` timesteps later.
#pragma once

#include <cstdint>
#include <vector>

#include "network.h"

namespace spikemesh {

struct BalanceReport {
  uint32_t depth = 0;                      // D: timesteps from input to the deepest readout
  std::vector<uint32_t> population_depth;  // timestep at which each population sees its first input
  std::vector<uint32_t> projection_delay;  // the delay given to each projection
};

// Each projection u -> v (self-loops excepted, they keep their delay) gets delay depth(v) - depth(u) - 1,
// where depth(v) = max over v's inputs of depth(u) + 1 + delay(u -> v) and populations without inputs have
// depth 0. Each population's bias_start becomes its depth, so its bias starts with its input. Idempotent.
// Throws Error naming the projection when the graph has a cycle longer than a self-loop, a projection has
// per-synapse delays, or a needed delay exceeds the hardware maximum (62).
BalanceReport balance_delays(Network& net);

}  // namespace spikemesh

namespace spikemesh {

// Bias gating for a pipelined network call of `window` timesteps: every population's bias (static or from a
// table) is switched off `window` timesteps after its bias_start, through a bias table whose last phase is
// zero. Within the window nothing changes; after it a population stops integrating bias, so a shallow
// layer does not keep firing (and spending energy) while the deeper layers finish the call. Its spikes
// after the window could only reach the readout after the readout's own window, so the outputs read at
// steps D..D+T-1 are unchanged. Returns the populations it changed.
uint32_t gate_bias_after_window(Network& net, uint32_t window);

}  // namespace spikemesh
