// After the compiler's placement (cores permuted to cut flit-hops), the chip's raster still equals the
// reference simulator's, bit for bit: placement changes timing and hop counts, never the function.
#include <gtest/gtest.h>

#include "chip_harness.h"
#include "compiler.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

void check_placed(ChipParams params, uint64_t seed, uint32_t timesteps = 24, uint32_t context = 1) {
  RandomNetworkParams rp;
  rp.seed = seed;
  const Network net = make_random_network(rp);
  const Stimulus stim = make_random_stimulus(net, timesteps, seed + 100);
  const SimResult ref = run_reference(net, stim, timesteps, context);
  ASSERT_GT(ref.spike_count, 0u);
  params.mapping.rate_timesteps = 8;
  const CompiledNetwork c = compile_network(net, params);
  ASSERT_GT(c.report.cores_used, 4u);
  EXPECT_NE(c.report.slot_of_core, place_mesh_order(c.report.cores_used)) << "placement should move cores";
  EXPECT_LT(c.report.optimised.flit_hop_cycles, c.report.mesh_order.flit_hop_cycles);
  auto chip = std::make_unique<Chip>("chip", net, c.program, params, stim, timesteps, context);
  sc_core::sc_start();
  ASSERT_TRUE(chip->completed()) << chip->deadlock_report();
  expect_identical(chip->result(), ref);
}

ChipParams shared(ChipParams p) {
  p.core.shared_conv_kernels = true;
  return p;
}

}  // namespace

TEST(CompiledChipEquivalence, MinHopsPlacementMesh2x2Seed3) { check_placed(mesh_2x2_chip(40), 3); }
TEST(CompiledChipEquivalence, MinHopsPlacementSharedConvMultiChipSeed8) { check_placed(shared(multi_chip(36)), 8); }
