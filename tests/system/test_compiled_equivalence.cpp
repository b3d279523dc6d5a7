// After the compiler's placement (cores permuted to cut flit-hops), the chip's raster still equals the
// reference simulator's, bit for bit: placement changes timing and hop counts, never the function.
#include <gtest/gtest.h>

#include "chip_harness.h"
#include "compiler.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

void check_placed(ChipParams params, uint64_t seed, uint32_t timesteps = 24, uint32_t context = 1) {
  const RandomCase rc = random_case(seed, timesteps, context);
  ASSERT_GT(rc.ref.spike_count, 0u);
  params.mapping.rate_timesteps = 8;
  const CompiledNetwork c = compile_network(rc.net, params);
  ASSERT_GT(c.report.cores_used, 4u);
  EXPECT_NE(c.report.slot_of_core, place_mesh_order(c.report.cores_used)) << "placement should move cores";
  EXPECT_LT(c.report.optimised.flit_hop_cycles, c.report.mesh_order.flit_hop_cycles);
  auto chip = std::make_unique<Chip>("chip", rc.net, c.program, params, rc.stim, timesteps, context);
  sc_core::sc_start();
  ASSERT_TRUE(chip->completed()) << chip->deadlock_report();
  expect_identical(chip->result(), rc.ref);
}

}  // namespace

TEST(CompiledChipEquivalence, MinHopsPlacementMesh2x2Seed3) { check_placed(mesh_2x2_chip(40), 3); }
TEST(CompiledChipEquivalence, MinHopsPlacementSharedConvMultiChipSeed8) {
  check_placed(with_shared_kernels(multi_chip(36)), 8);
}
