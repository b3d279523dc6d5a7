// Seeded random networks that exercise every feature of the format (dense, sparse, conv, one-to-one,
// delays, graded inputs, readouts, recurrence, bias tables). Used by tests, benchmarks and examples.
#pragma once

#include <cstdint>

#include "network.h"
#include "reference_sim.h"

namespace spikemesh {

struct RandomNetworkParams {
  uint64_t seed = 1;
  uint32_t hidden_populations = 3;  // CUBA populations besides input and readout
  uint32_t max_neurons = 64;        // per 1-D population
  bool delays = true;
  bool recurrent = true;
  bool conv = true;
  bool bias_table = true;
};

// A network: graded input map -> conv -> CUBA populations (dense / sparse / one-to-one, some recurrent)
// -> readout, with seeded random parameters chosen so that a good share of neurons fire.
Network make_random_network(const RandomNetworkParams& p);
// Random payloads for every input population over `timesteps` steps.
Stimulus make_random_stimulus(const Network& net, uint32_t timesteps, uint64_t seed, double activity = 0.5);

// The benchmark network: `neurons` CUBA compartments driven by bias, `fanout` random sparse synapses each,
// parameters chosen so that about `activity` of the neurons fire per step in steady state.
Network make_benchmark_network(uint32_t neurons, uint32_t fanout, uint64_t seed);

}  // namespace spikemesh
