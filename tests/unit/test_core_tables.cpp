// Table compilation (model/core_tables.h) of hand-built partitions: discrete lists and their input axons,
// the output axons of each source, and the routing-entry count that the partition rounds use instead.
#include <gtest/gtest.h>

#include <vector>

#include "core_tables.h"
#include "mapping_index.h"
#include "mapping_networks.h"
#include "partition.h"

using namespace spikemesh;
using namespace spikemesh::testing;

TEST(CoreTables, TwoCoresOneDiscreteAxonPerSourceAndOneOutputAxonEach) {
  const Network net = dense_net(4);  // 4 compartments per core: in on core 0, A on core 1
  const ChipParams chip = row_chip(4);
  const MappingIndex index(net, chip);
  const Partition part = Partitioner(index, chip).run(std::vector<uint32_t>(index.neurons(), 0));
  ASSERT_EQ(part.cores.size(), 2u);
  const ChipProgram m = compile_tables(index, part, MeshGeometry::from(chip.mesh));
  EXPECT_EQ(m.cores_used, 2u);
  EXPECT_EQ(m.cores.size(), 4u);  // every core of the mesh, the unused ones empty
  const CoreProgram& a = m.cores[1];
  ASSERT_EQ(a.input_axons.size(), 4u);
  ASSERT_EQ(a.formats.size(), 1u);
  EXPECT_EQ(a.formats[0].layout, BlockLayout::Dense);
  // Each list: 10 header bits + 2 base bits + 4 x 8 weight bits = 44 bits, one word.
  EXPECT_EQ(a.synapse_words.size(), 4u);
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(a.input_axons[k].kind, AxonKind::Discrete);
    EXPECT_EQ(a.input_axons[k].word_offset, k);
    EXPECT_EQ(a.input_axons[k].words, 1u);
  }
  const CoreProgram& in = m.cores[0];
  EXPECT_EQ(in.out_begin, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(in.out[k], (Destination{1, k, 0, 4}));
    EXPECT_EQ(in.out[k].x, 1u);  // core 1 on router (1, 0)
    EXPECT_EQ(in.out[k].local, 0u);
  }
  EXPECT_EQ(a.output_axons(), 0u);
  ASSERT_EQ(m.placement[1].size(), 1u);
  EXPECT_EQ(m.placement[1][0].core, 1u);
}

TEST(CoreTables, RoutingCountEqualsTheCompiledOutputAxons) {
  // in (4) -dense-> A (6) with 4 compartments: A on cores 1 and 2, so every input neuron has 2 entries.
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("A", {6})};
  net.projections = {dense(0, 1, 24)};
  ChipParams chip = row_chip(4);
  const MappingIndex index(net, chip);
  const Partition part = Partitioner(index, chip).run(std::vector<uint32_t>(index.neurons(), 0));
  const RoutingCount count = count_routing_entries(index, part, chip);
  const ChipProgram m = compile_tables(index, part, MeshGeometry::from(chip.mesh));
  for (uint32_t c = 0; c < m.cores_used; ++c) {
    const CoreProgram& core = m.cores[c];
    EXPECT_EQ(count.core_outputs(c), core.output_axons());
    for (const CoreSegment& s : core.segments)
      for (uint32_t k = 0; k < s.count; ++k)
        EXPECT_EQ(count.out_need[index.offset[s.population] + s.first + k],
                  core.out_begin[s.base + k + 1] - core.out_begin[s.base + k]);
  }
  EXPECT_EQ(count.out_need[0], 2u);
  EXPECT_EQ(count.over_core, -1);
  chip.core.output_axons = 7;  // core 0 needs 8
  EXPECT_EQ(count_routing_entries(index, part, chip).over_core, 0);
}

TEST(CoreTables, SharedOutputAxonsCountEqualsTheCompiledOnesAndChargesTheHolder) {
  // img (1 x 6 x 4) -conv-> A (3 x 6 x 4) -conv-> B (2 x 6 x 4), 24 compartments per core: A's 3 channels
  // of a pixel share one range of output axons on their core; the first (channel 0) is charged it.
  Network net;
  net.populations = {pop("img", {1, 6, 4}, NeuronKind::Input), pop("A", {3, 6, 4}), pop("B", {2, 6, 4})};
  net.projections = {conv3x3(0, 1, 1, 3), conv3x3(1, 2, 3, 2)};
  ChipParams chip = row_chip(24, 8);
  chip.core.shared_conv_kernels = chip.core.shared_output_axons = true;
  const MappingIndex index(net, chip);
  const Partition part = Partitioner(index, chip).run(std::vector<uint32_t>(index.neurons(), 0));
  const RoutingCount count = count_routing_entries(index, part, chip);
  const ChipProgram m = compile_tables(index, part, MeshGeometry::from(chip.mesh));
  uint64_t a_charged = 0, a_need = 0;
  for (uint32_t c = 0; c < m.cores_used; ++c) {
    EXPECT_EQ(count.core_outputs(c), m.cores[c].output_axons()) << "core " << c;
    for (const CoreSegment& s : m.cores[c].segments)
      for (uint32_t k = 0; k < s.count; ++k) {
        const uint64_t g = index.offset[s.population] + s.first + k;
        if (s.population == 1) {
          a_charged += count.out_charge[g];
          a_need += count.out_need[g];
          const bool holder = s.first + k < 24;  // channel 0
          EXPECT_EQ(count.out_charge[g], holder ? count.out_need[g] : 0u) << "A neuron " << s.first + k;
        }
      }
  }
  EXPECT_EQ(a_need, 3 * a_charged);
  EXPECT_EQ(index.output_class[1], (std::vector<uint32_t>{0, 0, 0}));
  EXPECT_TRUE(index.output_class[2].empty());  // B sends nothing
}
