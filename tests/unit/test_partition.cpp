// Partitioning (model/partition.h): greedy fill in file order, conv targets cut into row bands of a channel
// block, segments and compartment bases per core, the core count against the mesh.
#include <gtest/gtest.h>

#include <vector>

#include "mapping_index.h"
#include "mapping_networks.h"
#include "partition.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

Partition partition(const Network& net, const ChipParams& chip) {
  const MappingIndex index(net, chip);
  Partitioner partitioner(index, chip);
  return partitioner.run(std::vector<uint32_t>(index.neurons(), 0));
}

void expect_segment(const CoreSegment& s, uint32_t population, uint64_t first, uint32_t count, uint32_t base) {
  EXPECT_EQ(s.population, population);
  EXPECT_EQ(s.first, first);
  EXPECT_EQ(s.count, count);
  EXPECT_EQ(s.base, base);
}

}  // namespace

TEST(Partition, FillsCoresInFileOrderUpToTheCompartmentLimit) {
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("A", {6})};
  net.projections = {dense(0, 1, 24)};
  const Partition part = partition(net, row_chip(5));
  // Core 0: in[0..3] and A[0]; core 1: A[1..5].
  ASSERT_EQ(part.cores.size(), 2u);
  ASSERT_EQ(part.cores[0].segments.size(), 2u);
  expect_segment(part.cores[0].segments[0], 0, 0, 4, 0);
  expect_segment(part.cores[0].segments[1], 1, 0, 1, 4);
  ASSERT_EQ(part.cores[1].segments.size(), 1u);
  expect_segment(part.cores[1].segments[0], 1, 1, 5, 0);
  EXPECT_EQ(part.cores[1].compartments, 5u);
  EXPECT_EQ(part.tile_channels, (std::vector<uint32_t>{0, 0}));
}

TEST(Partition, ConvTargetIsCutIntoRowBandsOfAllChannels) {
  // img (1, 6, 4) -conv 3x3-> A (2, 6, 4), 24 compartments per core: img fills core 0; a unit of A is one
  // pixel of both channels, so a core holds 12 pixels = rows 0-2 or 3-5, one segment per channel.
  Network net;
  net.populations = {pop("img", {1, 6, 4}, NeuronKind::Input), pop("A", {2, 6, 4})};
  net.projections = {conv3x3(0, 1, 1, 2)};
  const Partition part = partition(net, row_chip(24));
  EXPECT_EQ(part.tile_channels, (std::vector<uint32_t>{0, 2}));
  ASSERT_EQ(part.cores.size(), 3u);
  expect_segment(part.cores[0].segments.at(0), 0, 0, 24, 0);
  for (uint32_t band = 0; band < 2; ++band) {
    const auto& segs = part.cores[1 + band].segments;
    ASSERT_EQ(segs.size(), 2u);
    expect_segment(segs[0], 1, band * 12, 12, 0);        // channel 0, rows 3 band .. 3 band + 2
    expect_segment(segs[1], 1, 24 + band * 12, 12, 12);  // channel 1, the same rows
  }
}

TEST(Partition, ChannelBlockIsTheMostThatFitBalancedOverTheBlocks) {
  // A (4, 2, 2) with 3 compartments per core: 3 channels of a pixel fit, 4 do not; two blocks of 2.
  Network net;
  net.populations = {pop("img", {1, 2, 2}, NeuronKind::Input), pop("A", {4, 2, 2})};
  net.projections = {conv3x3(0, 1, 1, 4)};
  const Partition part = partition(net, row_chip(3, 16));
  EXPECT_EQ(part.tile_channels[1], 2u);
  // img[0..2] | img[3], pixel 0 of channels 0-1 | pixels 1, 2, 3 of channels 0-1 | the same for 2-3.
  ASSERT_EQ(part.cores.size(), 9u);
  ASSERT_EQ(part.cores[1].segments.size(), 3u);
  expect_segment(part.cores[1].segments[0], 0, 3, 1, 0);
  expect_segment(part.cores[1].segments[1], 1, 0, 1, 1);
  expect_segment(part.cores[1].segments[2], 1, 4, 1, 2);
  ASSERT_EQ(part.cores[8].segments.size(), 2u);
  expect_segment(part.cores[8].segments[0], 1, 11, 1, 0);
  expect_segment(part.cores[8].segments[1], 1, 15, 1, 1);
}

TEST(Partition, MoreCoresThanTheMeshHasFailsNamingTheFirstNeuronThatDoesNotFit) {
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("A", {6})};
  net.projections = {dense(0, 1, 24)};
  const ChipParams chip = row_chip(4, 2);
  const Partition part = partition(net, chip);  // the fill itself is unbounded: 3 cores
  ASSERT_EQ(part.cores.size(), 3u);
  EXPECT_EQ(part.first_overflow, 1);
  EXPECT_EQ(part.first_overflow_neuron, 4u);
  try {
    check_core_count(part, net, MeshGeometry::from(chip.mesh));
    ADD_FAILURE() << "3 cores on a 2-core mesh passed";
  } catch (const MappingError& e) {
    EXPECT_EQ(e.resource, "cores");
    EXPECT_EQ(e.need, 3u);
    EXPECT_EQ(e.capacity, 2u);
    EXPECT_EQ(e.population, "A");
  }
}
