// The chip's raster equals the reference simulator's, bit for bit, for random networks (dense, sparse,
// conv, one-to-one, delays, graded inputs, readouts, recurrence, bias tables) on several chip shapes.
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
  expect_identical(run.chip->result(), ref);
}

}  // namespace

TEST(ChipEquivalence, OneCoreSeed1) { check(one_core_chip(), 1); }
TEST(ChipEquivalence, OneCoreSeed2) { check(one_core_chip(), 2); }
TEST(ChipEquivalence, Mesh2x2Seed3) { check(mesh_2x2_chip(40), 3); }
TEST(ChipEquivalence, MultiChipSeed4) { check(multi_chip(48), 4); }
