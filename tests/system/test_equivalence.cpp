// The chip's raster (and readout currents) equals the reference simulator's, bit for bit, for random
// networks (dense, sparse, conv, one-to-one, delays, graded inputs, readouts, recurrence, bias tables) on
// several chip shapes: one core, 2 x 2 routers, 2 x 2 chips; conv expanded (Loihi 1) and shared (Loihi 2).
#include <gtest/gtest.h>

#include "chip_harness.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

void check(const ChipParams& params, uint64_t seed, uint32_t timesteps = 24, uint32_t context = 1) {
  RandomNetworkParams rp;
  rp.seed = seed;
  const Network net = make_random_network(rp);
  const Stimulus stim = make_random_stimulus(net, timesteps, seed + 100);
  const SimResult ref = run_reference(net, stim, timesteps, context);
  ASSERT_GT(ref.spike_count, 0u);
  ChipRun run(net, params, stim, timesteps, context);
  ASSERT_TRUE(run.chip->completed()) << run.chip->deadlock_report();
  if (params.mesh.cores() > 1) {
    EXPECT_GT(run.program.cores_used, 4u) << "the network should spread over several routers";
  }
  if (params.core.shared_conv_kernels) {
    uint32_t cores_with_kernels = 0;
    for (const auto& c : run.program.cores) cores_with_kernels += !c.kernels.empty();
    EXPECT_GE(cores_with_kernels, params.mesh.cores() > 1 ? 2u : 1u) << "shared kernels should be exercised";
  }
  expect_identical(run.chip->result(), ref);
}

ChipParams shared(ChipParams p) {
  p.core.shared_conv_kernels = true;
  return p;
}

}  // namespace

TEST(ChipEquivalence, OneCoreSeed1) { check(one_core_chip(), 1); }
TEST(ChipEquivalence, OneCoreSeed2) { check(one_core_chip(), 2); }
TEST(ChipEquivalence, OneCoreSharedConvSeed5) { check(shared(one_core_chip()), 5); }
TEST(ChipEquivalence, Mesh2x2Seed3) { check(mesh_2x2_chip(40), 3); }
TEST(ChipEquivalence, Mesh2x2Seed6) { check(mesh_2x2_chip(40), 6); }
TEST(ChipEquivalence, Mesh2x2SharedConvSeed7) { check(shared(mesh_2x2_chip(40)), 7); }
TEST(ChipEquivalence, MultiChipSeed4) { check(multi_chip(48), 4); }
TEST(ChipEquivalence, MultiChipSharedConvSeed8) { check(shared(multi_chip(36)), 8); }

TEST(ChipEquivalence, SmallBuffersAndSlowCoresChangeTimingNotTheRaster) {
  ChipParams p = mesh_2x2_chip(40);
  p.router.input_buffer_flits = 1;
  p.core.input_fifo_depth = 1;
  p.core.synop_cycles = 40;
  p.router.hop_ns_cycles = 1;
  check(p, 9);
}

TEST(ChipEquivalence, Loihi1ProfileWithBinaryInputs) {
  RandomNetworkParams rp;
  rp.seed = 10;
  Network net = make_random_network(rp);
  for (auto& pop : net.populations)
    if (pop.kind == NeuronKind::Input) {
      pop.payload_bits = 1;
      pop.payload_frac_bits = 0;
    }
  const Stimulus stim = make_random_stimulus(net, 20, 3, 0.4);
  const SimResult ref = run_reference(net, stim, 20, 2);
  ChipParams p;   // Loihi 1 defaults: binary spikes, conv expanded, 8 x 4 routers
  p.core.compartments = 64;
  ChipRun run(net, p, stim, 20, 2);
  ASSERT_TRUE(run.chip->completed());
  expect_identical(run.chip->result(), ref);
}
