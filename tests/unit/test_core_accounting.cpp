// Resource accounting of the core being filled (model/core_accounting.h): hand-counted compartments, input
// axons, synapse words and output axons; a unit that does not fit changes nothing; the fit errors.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core_accounting.h"
#include "mapping_index.h"
#include "mapping_networks.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// The accounting of the first core of a partition of `net` on `chip`; neuron g is charged charged[g] output
// axons (none when empty).
struct Filling {
  Network net;
  ChipParams chip;
  MappingIndex index;
  std::vector<uint32_t> charged;
  CoreAccounting acc;
  Filling(Network n, ChipParams c, std::vector<uint32_t> out = {})
      : net(std::move(n)), chip(c), index(net, chip), charged(std::move(out)), acc(index, chip) {
    charged.resize(index.neurons(), 0);
    acc.begin(charged);
  }
};

bool add(CoreAccounting& acc, uint32_t population, uint64_t neuron) { return acc.try_add(population, &neuron, 1); }

}  // namespace

TEST(CoreAccounting, DenseTargetsClaimEverySourceAxonOnceAndLengthenEachList) {
  Filling f(dense_net(), row_chip(4));
  CoreAccounting& acc = f.acc;
  ASSERT_TRUE(add(acc, 1, 0));
  // One input axon per source neuron; each list: 10 header bits + 2 base bits (4 compartments) + 8 = 1 word.
  EXPECT_EQ(acc.tally().compartments, 1u);
  EXPECT_EQ(acc.tally().input_axons, 4u);
  EXPECT_EQ(acc.tally().synapse_words, 4u);
  for (uint64_t i = 1; i < 4; ++i) ASSERT_TRUE(add(acc, 1, i));
  // Four targets: 10 + 2 + 4 x 8 = 44 bits, still one word per list; no new axons.
  EXPECT_EQ(acc.tally().compartments, 4u);
  EXPECT_EQ(acc.tally().input_axons, 4u);
  EXPECT_EQ(acc.tally().synapse_words, 4u);
  EXPECT_EQ(acc.tally().output_axons, 0u);
}

TEST(CoreAccounting, SparseSourcesSharedByTwoTargetsClaimOneAxon) {
  Filling f(sparse_net(), row_chip(4));
  CoreAccounting& acc = f.acc;
  ASSERT_TRUE(add(acc, 1, 0));  // sources 0 and 1: two axons, two one-record lists
  EXPECT_EQ(acc.tally().input_axons, 2u);
  EXPECT_EQ(acc.tally().synapse_words, 2u);
  ASSERT_TRUE(add(acc, 1, 1));  // source 1 again: its list grows to two records, still one word
  EXPECT_EQ(acc.tally().input_axons, 2u);
  EXPECT_EQ(acc.tally().synapse_words, 2u);
}

TEST(CoreAccounting, OutputAxonsAreTheEstimateCharged) {
  Filling f(dense_net(), row_chip(8), {3, 0, 2});  // in[0] is charged 3 output axons, in[2] 2
  CoreAccounting& acc = f.acc;
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(add(acc, 0, i));
  EXPECT_EQ(acc.tally().output_axons, 5u);
  EXPECT_EQ(acc.tally().input_axons, 0u);  // an input population has no incoming projection
}

TEST(CoreAccounting, AUnitThatDoesNotFitChangesNothing) {
  Filling f(dense_net(), row_chip(4));
  CoreAccounting& acc = f.acc;
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(add(acc, 1, i));
  const uint64_t two[] = {3, 4};  // one more would fit, two do not: neither is added
  EXPECT_FALSE(acc.try_add(1, two, 2));
  EXPECT_EQ(acc.tally().compartments, 3u);
  EXPECT_EQ(acc.tally().synapse_words, 4u);
  EXPECT_TRUE(acc.fits_empty(1, two, 2));  // a trial on an empty core leaves the open core as it was
  EXPECT_EQ(acc.tally().compartments, 3u);
  ASSERT_TRUE(add(acc, 1, 3));
  EXPECT_EQ(acc.tally().compartments, 4u);
  EXPECT_EQ(acc.tally().input_axons, 4u);
  acc.next_core();  // a new core: every source axon is claimed again
  ASSERT_TRUE(add(acc, 1, 4));
  EXPECT_EQ(acc.tally().compartments, 1u);
  EXPECT_EQ(acc.tally().input_axons, 4u);
  EXPECT_EQ(acc.tally().synapse_words, 4u);
}

TEST(CoreAccounting, ASingleNeuronOverALimitNamesTheResource) {
  ChipParams chip = row_chip(4);
  chip.core.input_axons = 3;  // a target of the dense projection needs all 4 sources
  Filling f(dense_net(), chip);
  CoreAccounting& acc = f.acc;
  ASSERT_FALSE(add(acc, 1, 2));
  bool thrown = false;
  try {
    acc.fail_single(1, 2);
  } catch (const MappingError& e) {
    thrown = true;
    EXPECT_EQ(e.population, "A");
    EXPECT_EQ(e.resource, "input axons");
    EXPECT_EQ(e.need, 4u);
    EXPECT_EQ(e.capacity, 3u);
    EXPECT_NE(std::string(e.what()).find("(neuron 2)"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(thrown);
}

TEST(CoreAccounting, GradedSpikesNeedCoresThatSendThem) {
  Network net = dense_net();
  net.populations[0].payload_bits = 8;
  ChipParams chip = row_chip(4);
  chip.core.graded_spikes = false;
  EXPECT_THROW(check_graded_spikes(net, chip), MappingError);
  chip.core.graded_spikes = true;
  EXPECT_NO_THROW(check_graded_spikes(net, chip));
}
