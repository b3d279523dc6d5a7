// The chip's raster (and readout currents) equals the reference simulator's, bit for bit, for random
// networks (dense, sparse, conv, one-to-one, delays, graded inputs, readouts, recurrence, bias tables) on
// several chip shapes: one core, 2 x 2 routers, 2 x 2 chips; conv expanded (Loihi 1) and shared (Loihi 2).
#include <gtest/gtest.h>

#include "chip_harness.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

void check(const ChipParams& params, uint64_t seed, uint32_t timesteps = 24, uint32_t context = 1) {
  const RandomCase rc = random_case(seed, timesteps, context);
  ASSERT_GT(rc.ref.spike_count, 0u);
  ChipRun run(rc.net, params, rc.stim, timesteps, context);
  ASSERT_TRUE(run.chip->completed()) << run.chip->deadlock_report();
  if (params.mesh.cores() > 1) {
    EXPECT_GT(run.program.cores_used, 4u) << "the network should spread over several routers";
  }
  if (params.core.shared_conv_kernels) {
    uint32_t cores_with_kernels = 0;
    for (const auto& c : run.program.cores) cores_with_kernels += !c.kernels.empty();
    EXPECT_GE(cores_with_kernels, params.mesh.cores() > 1 ? 2u : 1u) << "shared kernels should be exercised";
  }
  expect_identical(run.chip->result(), rc.ref);
}

// Row bands (model/partition.h): with 10 compartments per core the random network's conv maps (4 channels
// per pixel) are cut into bands of 2 pixels that start and end mid-row; with 3, into blocks of 2 channels
// within each band. The cuts run through conv 3x3 pad 1 (conv1), conv 2x2 stride 2 (pool), and upsample 2
// + conv 3x3 pad 1 with 2 groups (up), for shared kernels and for expanded (discrete) conv lists.
// With `dilated`, conv1 is 3x3 dilated by 2 with padding 2 (the same 6x6 map, taps two pixels apart): a band
// reaches source rows twice as far.
void check_bands(uint32_t compartments, bool shared_kernels, bool dilated = false) {
  ChipParams p;
  p.mesh = {1, 1, 16, 16, 2};
  p.core.compartments = compartments;
  p.core.graded_spikes = true;
  p.core.shared_conv_kernels = shared_kernels;
  RandomCase rc = random_case(11, 20, 1);
  if (dilated) {
    for (auto& pr : rc.net.projections)
      if (pr.name == "conv_0") pr.conv.dilation_y = pr.conv.dilation_x = 2, pr.conv.pad_y = pr.conv.pad_x = 2;
    validate(rc.net, "dilated");
    rc.ref = run_reference(rc.net, rc.stim, 20, 1);
  }
  ASSERT_GT(rc.ref.spike_count, 0u);
  const Network& net = rc.net;
  ChipRun run(net, p, rc.stim, 20, 1);
  ASSERT_TRUE(run.chip->completed()) << run.chip->deadlock_report();
  const int conv1 = net.find("conv1"), pool = net.find("pool"), up = net.find("up");
  ASSERT_TRUE(conv1 >= 0 && pool >= 0 && up >= 0);
  EXPECT_EQ(run.program.tile_channels[conv1], compartments == 10 ? 4u : 2u);  // 4 channels; 3 fit, balanced: 2
  EXPECT_EQ(run.program.tile_channels[pool], compartments == 10 ? 4u : 2u);
  EXPECT_EQ(run.program.tile_channels[up], 2u);
  // Several segments of one population on one core, and bands that start mid-row.
  uint32_t multi = 0, mid_row = 0;
  for (const auto& c : run.program.cores) {
    for (size_t k = 1; k < c.segments.size(); ++k) multi += c.segments[k].population == c.segments[k - 1].population;
    for (const auto& s : c.segments) mid_row += s.population == static_cast<uint32_t>(conv1) && s.first % 6 != 0;
  }
  EXPECT_GT(multi, 0u);
  EXPECT_GT(mid_row, 0u);
  expect_identical(run.chip->result(), rc.ref);
}

}  // namespace

TEST(ChipEquivalence, OneCoreSeed1) { check(one_core_chip(), 1); }
TEST(ChipEquivalence, OneCoreSeed2) { check(one_core_chip(), 2); }
TEST(ChipEquivalence, OneCoreSharedConvSeed5) { check(with_shared_kernels(one_core_chip()), 5); }
TEST(ChipEquivalence, Mesh2x2Seed3) { check(mesh_2x2_chip(40), 3); }
TEST(ChipEquivalence, Mesh2x2Seed6) { check(mesh_2x2_chip(40), 6); }
TEST(ChipEquivalence, Mesh2x2SharedConvSeed7) { check(with_shared_kernels(mesh_2x2_chip(40)), 7); }
TEST(ChipEquivalence, MultiChipSeed4) { check(multi_chip(48), 4); }
TEST(ChipEquivalence, MultiChipSharedConvSeed8) { check(with_shared_kernels(multi_chip(36)), 8); }

TEST(ChipEquivalence, RowBandsMidRowSharedKernels) { check_bands(10, true); }
TEST(ChipEquivalence, RowBandsMidRowExpandedConv) { check_bands(10, false); }
TEST(ChipEquivalence, RowBandsOfChannelBlocksSharedKernels) { check_bands(3, true); }
TEST(ChipEquivalence, RowBandsOfChannelBlocksExpandedConv) { check_bands(3, false); }
TEST(ChipEquivalence, RowBandsDilatedConvSharedKernels) { check_bands(10, true, true); }
TEST(ChipEquivalence, RowBandsDilatedConvExpanded) { check_bands(10, false, true); }

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
  ChipParams p;  // Loihi 1 defaults: binary spikes, conv expanded, 8 x 4 routers
  p.core.compartments = 64;
  ChipRun run(net, p, stim, 20, 2);
  ASSERT_TRUE(run.chip->completed());
  expect_identical(run.chip->result(), ref);
}
