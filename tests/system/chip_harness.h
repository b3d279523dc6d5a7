// Shared helpers of the end-to-end chip tests: chip shapes, the random case and its reference result, one
// elaborated run, result comparison.
#pragma once

#include <gtest/gtest.h>

#include <systemc>

#include <memory>

#include "chip.h"
#include "chip_params.h"
#include "mapping.h"
#include "random_network.h"
#include "reference_sim.h"

namespace spikemesh::testing {

// One core holding a whole random network (Loihi 2-like: graded spikes).
inline ChipParams one_core_chip() {
  ChipParams p;
  p.mesh = {1, 1, 1, 1, 1};
  p.core.graded_spikes = true;
  return p;
}

// 2 x 2 routers, 4 cores each, small cores so the network spreads over many of them.
inline ChipParams mesh_2x2_chip(uint32_t compartments) {
  ChipParams p;
  p.mesh = {1, 1, 2, 2, 4};
  p.core.compartments = compartments;
  p.core.graded_spikes = true;
  return p;
}

// 2 x 2 chips of 2 x 1 routers with 2 cores each: traffic crosses chip links in both directions.
inline ChipParams multi_chip(uint32_t compartments) {
  ChipParams p;
  p.mesh = {2, 2, 2, 1, 2};
  p.core.compartments = compartments;
  p.core.graded_spikes = true;
  return p;
}

// Conv projections keep one kernel per core (Loihi 2) instead of expanded synapse lists.
inline ChipParams with_shared_kernels(ChipParams p) {
  p.core.shared_conv_kernels = true;
  return p;
}

// The golden side of an equivalence test: random network `seed`, its random stimulus (seed + 100) over
// `timesteps`, and the reference simulator's result in bias context `context`.
struct RandomCase {
  Network net;
  Stimulus stim;
  SimResult ref;
};
inline RandomCase random_case(uint64_t seed, uint32_t timesteps, uint32_t context) {
  RandomNetworkParams rp;
  rp.seed = seed;
  RandomCase c;
  c.net = make_random_network(rp);
  c.stim = make_random_stimulus(c.net, timesteps, seed + 100);
  c.ref = run_reference(c.net, c.stim, timesteps, context);
  return c;
}

// Elaborates a chip for `net` and runs it to completion (one per process).
struct ChipRun {
  ChipProgram program;
  std::unique_ptr<Chip> chip;

  ChipRun(const Network& net, const ChipParams& params, const Stimulus& stim, uint32_t timesteps, uint32_t context = 0)
      : program(map_network(net, params)) {
    chip = std::make_unique<Chip>("chip", net, program, params, stim, timesteps, context);
    sc_core::sc_start();
  }
};

inline void expect_identical(const SimResult& chip, const SimResult& ref) {
  ASSERT_EQ(chip.timesteps, ref.timesteps);
  ASSERT_EQ(chip.names, ref.names);
  for (size_t p = 0; p < ref.spikes.size(); ++p) {
    EXPECT_EQ(chip.spikes[p], ref.spikes[p]) << "spike raster of population '" << ref.names[p] << "'";
    EXPECT_EQ(chip.currents[p], ref.currents[p]) << "readout currents of population '" << ref.names[p] << "'";
  }
  EXPECT_EQ(chip.synaptic_events, ref.synaptic_events);
  EXPECT_EQ(chip.spike_count, ref.spike_count);
}

}  // namespace spikemesh::testing
