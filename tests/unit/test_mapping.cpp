// Basic mapping (model/mapping.h): partition within limits, mesh-order placement, hand-counted tables,
// errors naming population, resource, need and capacity; compiled usage never exceeds a limit.
#include <gtest/gtest.h>

#include <set>

#include "../line_network.h"
#include "../synapse_pairs.h"
#include "compiler.h"
#include "error.h"
#include "mapping.h"
#include "mapping_networks.h"
#include "random_network.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

std::string map_error(const Network& net, const ChipParams& p) {
  try {
    map_network(net, p);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// img (1, 12, 8) -conv 3x3 pad 1-> A (4, 12, 8) -conv 3x3 pad 1-> B (4, 12, 8). With 96 compartments per
// core: img on core 0, A on cores 1-4 and B on cores 5-8, each a band of 3 rows (24 pixels x 4 channels).
Network band_network() {
  Network net;
  net.populations = {pop("img", {1, 12, 8}, NeuronKind::Input), pop("A", {4, 12, 8}), pop("B", {4, 12, 8})};
  net.projections = {conv3x3(0, 1, 1, 4), conv3x3(1, 2, 4, 4)};
  return net;
}

// The cores a neuron's spike reaches: the destinations of its compartment.
std::set<uint32_t> destination_cores(const ChipProgram& m, uint32_t population, uint64_t neuron) {
  for (const auto& pl : m.placement[population]) {
    const CoreSegment& s = pl.segment;
    if (neuron < s.first || neuron >= s.first + s.count) continue;
    const CoreProgram& core = m.cores[pl.core];
    const uint32_t c = s.base + static_cast<uint32_t>(neuron - s.first);
    std::set<uint32_t> cores;
    for (uint32_t e = core.out_begin[c]; e < core.out_begin[c + 1]; ++e) cores.insert(core.out[e].core);
    return cores;
  }
  ADD_FAILURE() << "neuron " << neuron << " of population " << population << " is on no core";
  return {};
}

uint32_t core_of(const ChipProgram& m, uint32_t population, uint64_t neuron) {
  for (const auto& pl : m.placement[population])
    if (neuron >= pl.segment.first && neuron < pl.segment.first + pl.segment.count) return pl.core;
  ADD_FAILURE() << "neuron " << neuron << " of population " << population << " is on no core";
  return ~0u;
}

}  // namespace

TEST(Mapping, ConvTargetsAreTiledByRowBandsOfAllChannelsOneSegmentPerChannel) {
  ChipParams p = row_chip(96, 12);
  p.core.shared_conv_kernels = true;
  const ChipProgram m = map_network(band_network(), p);
  ASSERT_EQ(m.cores_used, 9u);
  EXPECT_EQ(m.tile_channels, (std::vector<uint32_t>{0, 4, 4}));  // img has no incoming conv: contiguous
  for (uint32_t k = 0; k < 4; ++k) {                             // A's band k: rows [3k, 3k + 3) of every channel
    const CoreProgram& core = m.cores[1 + k];
    ASSERT_EQ(core.segments.size(), 4u);
    for (uint32_t c = 0; c < 4; ++c) {
      EXPECT_EQ(core.segments[c].population, 1u);
      EXPECT_EQ(core.segments[c].first, c * 96u + k * 24u);
      EXPECT_EQ(core.segments[c].count, 24u);
      EXPECT_EQ(core.segments[c].base, c * 24u);
    }
    ASSERT_EQ(core.kernels.size(), 1u);
    EXPECT_EQ(core.kernels[0].y_lo, 3 * k);
    EXPECT_EQ(core.kernels[0].y_hi, 3 * k + 3);
    EXPECT_EQ(core.kernels[0].co_lo, 0u);
    EXPECT_EQ(core.kernels[0].co_hi, 3u);
    // Population axons: one per img pixel in the receptive rows [3k - 1, 3k + 4) clipped to the image.
    const uint32_t rows = (k == 0 || k == 3) ? 4 : 5;
    EXPECT_EQ(core.input_axons.size(), rows * 8u) << "band " << k;
  }
}

TEST(Mapping, AConvSourceNeuronReachesExactlyTheCoresWhoseBandsItsReceptiveRowsOverlap) {
  ChipParams p = row_chip(96, 12);
  p.core.shared_conv_kernels = true;
  const ChipProgram m = map_network(band_network(), p);
  // B's bands: rows [0,3) core 5, [3,6) core 6, [6,9) core 7, [9,12) core 8.
  const auto neuron = [](uint32_t c, uint32_t y, uint32_t x) { return uint64_t{c} * 96 + y * 8 + x; };
  EXPECT_EQ(destination_cores(m, 1, neuron(2, 4, 3)), (std::set<uint32_t>{6}));     // middle row of a band: rows 3..5
  EXPECT_EQ(destination_cores(m, 1, neuron(2, 3, 3)), (std::set<uint32_t>{5, 6}));  // first row: rows 2..4
  EXPECT_EQ(destination_cores(m, 1, neuron(0, 5, 0)), (std::set<uint32_t>{6, 7}));  // last row: rows 4..6
  EXPECT_EQ(destination_cores(m, 1, neuron(3, 11, 7)), (std::set<uint32_t>{8}));    // bottom edge: rows 10..11
  // One message per core, its atom the source channel. Output axons of A's band [3, 6): its rows 3 and 5
  // reach two of B's bands, row 4 one: 4 channels x 8 columns x (2 + 1 + 2).
  const CoreProgram& a1 = m.cores[2];              // A rows [3, 6)
  const uint32_t c = a1.segments[2].base + 8 + 3;  // channel 2, row 4, x 3
  ASSERT_EQ(a1.out_begin[c + 1] - a1.out_begin[c], 1u);
  EXPECT_EQ(a1.out[a1.out_begin[c]].atom, 2u);
  EXPECT_EQ(a1.output_axons(), 4u * 8 * (2 + 1 + 2));
}

// chip.core.shared_output_axons: the 4 channels of one pixel of A send to the same population axons (their
// pixel's, on the same cores) with their channel as the atom, so they hold one range of output axons.
TEST(Mapping, SharedOutputAxonsHoldOneRangePerPixelForAllItsChannels) {
  ChipParams p = row_chip(96, 12);
  p.core.shared_conv_kernels = true;
  const ChipProgram plain = map_network(band_network(), p);
  p.core.shared_output_axons = true;
  const ChipProgram m = map_network(band_network(), p);
  ASSERT_EQ(m.cores_used, 9u);
  for (uint32_t c = 0; c < m.cores_used; ++c) {  // the same messages, atoms included
    EXPECT_EQ(m.cores[c].out, plain.cores[c].out) << "core " << c;
    EXPECT_EQ(m.cores[c].out_begin, plain.cores[c].out_begin) << "core " << c;
  }
  const CoreProgram& a1 = m.cores[2];  // A rows [3, 6): 8 columns x (2 + 1 + 2) cores of B, once
  EXPECT_EQ(plain.cores[2].output_axons(), 4u * 8 * (2 + 1 + 2));
  EXPECT_EQ(a1.output_axons(), 8u * (2 + 1 + 2));
  EXPECT_EQ(a1.shared_outputs(0, 24), 0u);                     // channel 0 holds the ranges
  EXPECT_EQ(a1.shared_outputs(24, 96), 3u * 8 * (2 + 1 + 2));  // channels 1..3 point into them
  // img (1 channel) shares with nobody; B has no projection out: nothing to share.
  EXPECT_EQ(m.cores[0].output_axons(), plain.cores[0].output_axons());
  const std::vector<PopulationUsage> use = population_usage(band_network(), m);
  // A's rows reach 1, 1, 2, 2, 1, 2, 2, 1, 2, 2, 1, 1 of B's bands (rows 0 and 11 at the edges, 1, 4, 7 and 10
  // in a band's middle): 18 per column, once for all 4 channels.
  EXPECT_EQ(use[1].use.output_axons, 18u * 8);
}

// A grouped conv out of A (2 groups of 2 channels): a pixel's channels of one group share a range, the two
// groups do not (their kernels differ on the cores holding other groups' output channels).
TEST(Mapping, SharedOutputAxonsAreSharedWithinAConvGroupOnly) {
  Network net = band_network();
  net.projections[1].conv.groups = 2;
  net.projections[1].weights.assign(4 * 2 * 9, 4);
  ChipParams p = row_chip(96, 12);
  p.core.shared_conv_kernels = p.core.shared_output_axons = true;
  const ChipProgram m = map_network(net, p);
  EXPECT_EQ(m.cores[2].output_axons(), 2u * 8 * (2 + 1 + 2));
}

// A population with any projection out of it that is not a shared-kernel conv (here one-to-one into C)
// keeps a range per compartment: its discrete destinations differ for every compartment.
TEST(Mapping, SharedOutputAxonsNeedEveryProjectionOutToBeASharedConv) {
  Network net = band_network();
  net.populations.push_back(pop("C", {4, 12, 8}));
  Projection o;
  o.name = "one";
  o.source = 1;
  o.target = 3;
  o.encoding = Encoding::OneToOne;
  o.weights = {3};
  net.projections.push_back(o);
  ChipParams p = row_chip(96, 16);
  p.core.shared_conv_kernels = true;
  const ChipProgram plain = map_network(net, p);
  p.core.shared_output_axons = true;
  const ChipProgram m = map_network(net, p);
  for (uint32_t c = 0; c < m.cores_used; ++c) EXPECT_EQ(m.cores[c].output_axons(), plain.cores[c].output_axons());
  EXPECT_EQ(m.cores[2].out_shared, std::vector<uint8_t>(96, 0));
}

TEST(Mapping, SharedOutputAxonsWithoutSharedKernelsIsAnErrorNamingBothKeys) {
  ChipParams p = row_chip(96, 12);
  p.core.shared_output_axons = true;
  EXPECT_EQ(map_error(band_network(), p),
            "chip.core.shared_output_axons: needs chip.core.shared_conv_kernels (output axons are shared only by "
            "compartments sending to population axons)");
}

// Output axons that bind: 150 per core. Without sharing, A's 3-row bands need 160 and the partition rounds
// thin them (more cores); with sharing a band needs 40 (img, one channel, 144) and the unlimited partition
// stands.
TEST(Mapping, SharedOutputAxonsKeepBandsThatPerCompartmentAxonsWouldThin) {
  ChipParams p = row_chip(96, 32);
  p.core.shared_conv_kernels = true;
  p.core.output_axons = 150;
  const ChipProgram plain = map_network(band_network(), p);
  p.core.shared_output_axons = true;
  const ChipProgram m = map_network(band_network(), p);
  EXPECT_EQ(m.cores_used, 9u);
  EXPECT_GT(plain.cores_used, 9u);
  for (uint32_t c = 0; c < plain.cores_used; ++c) EXPECT_LE(plain.cores[c].output_axons(), 150u);
}

TEST(Mapping, ABandedPopulationThatDoesNotFitNamesTheNeuronResourceNeedAndCapacity) {
  ChipParams p = row_chip(96, 12);
  p.core.shared_conv_kernels = true;
  p.core.input_axons = 5;  // neuron 0 of A (corner, pad 1) needs 4 population axons, neuron 1 needs 6
  EXPECT_EQ(map_error(band_network(), p),
            "mapping: population 'A' (neuron 1): resource input axons: one neuron needs 6 "
            "input axons, a core has 5 (chip.core.input_axons)");
  try {
    map_network(band_network(), p);
  } catch (const MappingError& e) {
    EXPECT_EQ(e.population, "A");
    EXPECT_EQ(e.resource, "input axons");
    EXPECT_EQ(e.need, 6u);
    EXPECT_EQ(e.capacity, 5u);
  }
}

TEST(Mapping, SplitsPopulationsAcrossCoresInMeshOrderWithinTheCompartmentLimit) {
  const ChipProgram m = map_network(dense_net(), row_chip(4));
  EXPECT_EQ(m.cores_used, 3u);
  ASSERT_EQ(m.cores[0].segments.size(), 1u);
  EXPECT_EQ(m.cores[0].segments[0].population, 0u);
  EXPECT_EQ(m.cores[0].compartments, 4u);
  ASSERT_EQ(m.cores[1].segments.size(), 1u);
  EXPECT_EQ(m.cores[1].segments[0].first, 0u);
  EXPECT_EQ(m.cores[1].segments[0].count, 4u);
  EXPECT_EQ(m.cores[2].segments[0].first, 4u);
  EXPECT_EQ(m.cores[2].segments[0].count, 2u);
  EXPECT_EQ(m.cores[3].compartments, 0u);
  ASSERT_EQ(m.placement[1].size(), 2u);
  EXPECT_EQ(m.placement[1][1].core, 2u);
}

TEST(Mapping, CountsAxonsWordsAndDestinationsByHand) {
  const ChipProgram m = map_network(dense_net(), row_chip(4));
  // Core 1 holds A[0..3]: one discrete input axon per input neuron, each a dense list of 4 weights:
  // 10 header bits + 2 base bits (4 compartments) + 4 x 8 weight bits = 44 bits -> 1 word.
  EXPECT_EQ(m.cores[1].input_axons.size(), 4u);
  EXPECT_EQ(m.cores[1].synapse_words.size(), 4u);
  EXPECT_EQ(m.cores[2].input_axons.size(), 4u);
  EXPECT_EQ(m.cores[2].synapse_words.size(), 4u);  // 10 + 2 + 2 x 8 = 28 bits -> 1 word each
  // Each input neuron sends one message per destination core: 2 output axons each.
  EXPECT_EQ(m.cores[0].output_axons(), 8u);
  ASSERT_EQ(m.cores[0].out_begin.size(), 5u);
  const Destination a = m.cores[0].out[0], b = m.cores[0].out[1];
  EXPECT_EQ(a.core, 1u);
  EXPECT_EQ(a.axon, 0u);
  EXPECT_EQ(a.synapses, 4u);
  EXPECT_EQ(b.core, 2u);
  EXPECT_EQ(b.synapses, 2u);
  EXPECT_EQ(b.x, 2u);  // core 2 sits on router (2, 0) with one core per router
  EXPECT_EQ(m.cores[1].output_axons(), 0u);
}

TEST(Mapping, SharedConvKernelIsStoredOncePerCoreWithOnePopulationAxonPerPixel) {
  Network net;
  net.populations = {pop("img", {2, 4, 4}, NeuronKind::Input), pop("c", {3, 4, 4})};
  Projection pr;
  pr.source = 0;
  pr.target = 1;
  pr.encoding = Encoding::Conv;
  pr.conv.kernel_h = pr.conv.kernel_w = 3;
  pr.conv.pad_y = pr.conv.pad_x = 1;
  pr.weights.assign(3 * 2 * 9, 4);
  net.projections = {pr};
  ChipParams p = row_chip(1024, 2);
  p.core.shared_conv_kernels = true;
  const ChipProgram m = map_network(net, p);
  ASSERT_EQ(m.cores_used, 1u);
  const CoreProgram& c = m.cores[0];
  ASSERT_EQ(c.kernels.size(), 1u);
  // Two rows (one per input channel) of 3 x 9 weights: 10 + 10 + 27 x 8 = 236 bits -> 4 words each.
  EXPECT_EQ(c.kernels[0].row_words, (std::vector<uint32_t>{4, 4}));
  EXPECT_EQ(c.synapse_words.size(), 8u);
  EXPECT_EQ(c.input_axons.size(), 16u);        // one per source pixel
  EXPECT_EQ(c.output_axons(), 32u);            // each of the 2 x 16 source neurons: one message (its atom)
  EXPECT_EQ(c.out[c.out_begin[16]].atom, 1u);  // neuron 16 = channel 1, pixel 0
  EXPECT_EQ(c.out[c.out_begin[16]].axon, c.out[c.out_begin[0]].axon);
  // Expanded (Loihi 1): a sparse list per source neuron instead, one synapse per (tap, output channel).
  p.core.shared_conv_kernels = false;
  const ChipProgram e = map_network(net, p);
  EXPECT_EQ(e.cores[0].kernels.size(), 0u);
  uint64_t synapses = 0;
  for (const auto& d : e.cores[0].out) synapses += d.synapses;
  EXPECT_EQ(synapses, net.total_synapses());
}

TEST(Mapping, ANetworkThatDoesNotFitNamesPopulationResourceNeedAndCapacity) {
  Network net;
  net.populations = {pop("src", {10}), pop("dst", {3})};
  net.projections = {dense(0, 1, 30)};
  ChipParams p = row_chip(1024);
  p.core.input_axons = 5;
  EXPECT_EQ(map_error(net, p),
            "mapping: population 'dst' (neuron 0): resource input axons: one neuron needs 10 input "
            "axons, a core has 5 (chip.core.input_axons)");
  p = row_chip(1024);
  p.core.synapse_words = 3;  // 10 dense lists of 1 weight: 10 words
  EXPECT_EQ(map_error(net, p),
            "mapping: population 'dst' (neuron 0): resource synapse words: one neuron needs 10 64-bit "
            "synapse words, a core has 3 (chip.core.synapse_words)");
  p = row_chip(4, 2);
  const std::string cores = map_error(net, p);
  EXPECT_NE(cores.find("resource cores: the network needs 4 cores, the chip has 2"), std::string::npos) << cores;
  EXPECT_NE(cores.find("population 'src' from neuron 8 is the first that does not fit"), std::string::npos) << cores;
  // Output axons: 5 compartments per core would put 5 src neurons (one destination each) on a core with
  // 4 output axons; the mapper charges each neuron its routing entries and puts 4 per core instead.
  p = row_chip(5);
  p.core.output_axons = 4;
  const ChipProgram fits = map_network(net, p);
  EXPECT_EQ(fits.cores_used, 3u);  // src 4 + 4, then src 2 + dst 3
  for (const auto& c : fits.cores) EXPECT_LE(c.output_axons(), 4u);
  // One neuron with more destinations than a core has output axons: dst on 3 cores, 2 output axons.
  p = row_chip(1, 16);
  p.core.output_axons = 2;
  EXPECT_EQ(map_error(net, p),
            "mapping: population 'src' (neuron 0): resource output axons: one neuron needs 3 output "
            "axons, a core has 2 (chip.core.output_axons)");
}

TEST(Mapping, GradedInputsNeedGradedSpikes) {
  Network net = dense_net();
  net.populations[0].payload_bits = 8;
  ChipParams p = row_chip(1024);
  EXPECT_EQ(map_error(net, p),
            "mapping: population 'in': resource graded spikes: needs 8-bit spike payloads, a core sends "
            "binary spikes only (chip.core.graded_spikes = false)");
  p.core.graded_spikes = true;
  EXPECT_EQ(map_network(net, p).cores_used, 1u);
}

TEST(Mapping, CompiledUsageNeverExceedsALimitAndIsDeterministic) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    RandomNetworkParams rp;
    rp.seed = seed;
    const Network net = make_random_network(rp);
    for (const bool shared : {false, true})
      for (const uint32_t words : {40u, 80u, 400u}) {
        ChipParams p;
        p.mesh = {1, 1, 8, 8, 4};
        p.core.compartments = 48;
        p.core.input_axons = 120;
        p.core.synapse_words = words;
        p.core.output_axons = 160;
        p.core.graded_spikes = true;
        p.core.shared_conv_kernels = shared;
        ChipProgram m;
        try {
          m = map_network(net, p);
        } catch (const Error& e) {
          // Only a single neuron too big for a core may fail here.
          EXPECT_NE(std::string(e.what()).find("one neuron needs"), std::string::npos) << e.what();
          continue;
        }
        uint64_t neurons = 0;
        for (uint32_t c = 0; c < m.cores_used; ++c) {
          const CoreProgram& core = m.cores[c];
          EXPECT_LE(core.compartments, p.core.compartments);
          EXPECT_LE(core.input_axons.size(), p.core.input_axons) << "seed " << seed << " core " << c;
          EXPECT_LE(core.synapse_words.size(), p.core.synapse_words) << "seed " << seed << " core " << c;
          EXPECT_LE(core.output_axons(), p.core.output_axons) << "seed " << seed << " core " << c;
          EXPECT_LE(core.formats.size(), kMaxSynapseFormats);
          neurons += core.compartments;
        }
        EXPECT_EQ(neurons, net.total_neurons());
        // Every spike has a route: the cores a neuron sends to are exactly the cores of its synapses' targets.
        std::vector<std::vector<std::set<uint32_t>>> want(net.populations.size());
        for (uint32_t q = 0; q < net.populations.size(); ++q) want[q].resize(net.populations[q].size());
        for (const auto& pr : net.projections)
          for_each_pair(net, pr, [&](uint64_t s, uint64_t t) { want[pr.source][s].insert(core_of(m, pr.target, t)); });
        for (uint32_t q = 0; q < net.populations.size(); ++q)
          for (uint64_t i = 0; i < net.populations[q].size(); ++i)
            ASSERT_EQ(destination_cores(m, q, i), want[q][i])
                << "seed " << seed << " population " << q << " neuron " << i;
        const ChipProgram again = map_network(net, p);
        for (uint32_t c = 0; c < m.cores_used; ++c) {
          EXPECT_EQ(again.cores[c].synapse_words, m.cores[c].synapse_words);
          EXPECT_EQ(again.cores[c].out, m.cores[c].out);
        }
      }
  }
}

// map_network_cores runs the same rounds and checks as map_network without compiling the final tables:
// the same core count, or the same failure, also where tight output-axon limits take several rounds,
// a mesh too small fails on cores, or synapse formats run out.
TEST(Mapping, CoreCountWithoutTablesAgreesWithTheFullMapping) {
  uint32_t compared = 0, failures = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    RandomNetworkParams rp;
    rp.seed = seed;
    const Network net = make_random_network(rp);
    for (const bool shared : {false, true})
      for (const uint32_t outputs : {24u, 60u, 160u})
        for (const uint32_t routers : {2u, 8u}) {
          ChipParams p;
          p.mesh = {1, 1, routers, routers, 4};
          p.core.compartments = 48;
          p.core.input_axons = 120;
          p.core.synapse_words = 400;
          p.core.output_axons = outputs;
          p.core.graded_spikes = true;
          p.core.shared_conv_kernels = shared;
          std::string full_error, count_error;
          uint32_t full = 0, count = 0;
          try {
            full = map_network(net, p).cores_used;
          } catch (const MappingError& e) {
            full_error = e.what();
          }
          try {
            count = map_network_cores(net, p);
          } catch (const MappingError& e) {
            count_error = e.what();
          }
          EXPECT_EQ(count_error, full_error) << "seed " << seed << " outputs " << outputs << " routers " << routers;
          EXPECT_EQ(count, full) << "seed " << seed << " outputs " << outputs << " routers " << routers;
          ++compared;
          failures += !full_error.empty();
        }
  }
  EXPECT_EQ(compared, 72u);
  EXPECT_GT(failures, 0u);
  EXPECT_LT(failures, compared);
}

TEST(Mapping, BarrierSpanIsTheMeshOrTheRectangleOfTheRoutersInUse) {
  // line_network(6) on the 4 x 3 line chip: cores 0..6 hold a compartment each, cores 7..11 nothing.
  ChipParams p = line_chip();
  const ChipProgram prog = map_network(line_network(6), p);
  for (uint32_t c = 0; c < 12; ++c) EXPECT_EQ(core_in_use(prog, c), c <= 6) << c;
  const RouterSpan mesh = barrier_span(prog, p.barrier);
  EXPECT_EQ(mesh.width, 4u);
  EXPECT_EQ(mesh.height, 3u);
  // Used routers: (0..3, 0) and (0..2, 1): the rectangle reaches x = 3 and y = 1.
  p.barrier.used_routers_only = true;
  const RouterSpan used = barrier_span(prog, p.barrier);
  EXPECT_EQ(used.width, 4u);
  EXPECT_EQ(used.height, 2u);
  // line_network(0): input and target only, on routers (0, 0) and (1, 0): a 2 x 1 span.
  const RouterSpan one = barrier_span(map_network(line_network(0), p), p.barrier);
  EXPECT_EQ(one.width, 2u);
  EXPECT_EQ(one.height, 1u);
}
