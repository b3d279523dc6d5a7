// The compiler (model/compiler.h): partitions within every per-core limit, every synapse has a route after
// placement, placement lowers flit-hops where a better layout is known, the delay report, and the smallest
// chip shape named for a network that does not fit.
#include <gtest/gtest.h>

#include <set>

#include "../synapse_pairs.h"
#include "compiler.h"
#include "delay_balance.h"
#include "error.h"
#include "random_network.h"

using namespace spikemesh;
using spikemesh::testing::for_each_pair;

namespace {

Population pop(const std::string& name, uint32_t n, NeuronKind kind = NeuronKind::Cuba) {
  Population p;
  p.name = name;
  p.shape = {n};
  p.kind = kind;
  p.params = {CompartmentParams{}};
  return p;
}

Projection one_to_one(const std::string& name, uint32_t src, uint32_t dst, uint8_t delay = 0) {
  Projection pr;
  pr.name = name;
  pr.source = src;
  pr.target = dst;
  pr.encoding = Encoding::OneToOne;
  pr.weights = {10};
  pr.delays = {delay};
  return pr;
}

// Every core within every capacity; every neuron on exactly one core; every synapse's source neuron has a
// routing entry to the core that holds its target, and every entry names an existing input axon there with
// the coordinates of that core.
void check_program(const Network& net, const ChipParams& p, const ChipProgram& m, const std::string& what) {
  const CoreUsage cap = core_capacity(p);
  std::vector<std::vector<uint32_t>> core_of(net.populations.size());
  std::vector<std::vector<uint32_t>> comp_of(net.populations.size());
  for (size_t q = 0; q < net.populations.size(); ++q) {
    core_of[q].assign(net.populations[q].size(), ~0u);
    comp_of[q].assign(net.populations[q].size(), ~0u);
  }
  uint32_t used = 0;
  for (uint32_t c = 0; c < m.cores.size(); ++c) {
    const CoreProgram& core = m.cores[c];
    const CoreUsage u = core_usage(core);
    EXPECT_LE(u.compartments, cap.compartments) << what << " core " << c;
    EXPECT_LE(u.input_axons, cap.input_axons) << what << " core " << c;
    EXPECT_LE(u.output_axons, cap.output_axons) << what << " core " << c;
    EXPECT_LE(u.synapse_words, cap.synapse_words) << what << " core " << c;
    EXPECT_LE(u.synapse_formats, cap.synapse_formats) << what << " core " << c;
    used += core.compartments > 0;
    for (const auto& s : core.segments)
      for (uint32_t k = 0; k < s.count; ++k) {
        ASSERT_EQ(core_of[s.population][s.first + k], ~0u) << what << ": neuron on two cores";
        core_of[s.population][s.first + k] = c;
        comp_of[s.population][s.first + k] = s.base + k;
      }
    for (const Destination& d : core.out) {
      ASSERT_LT(d.core, m.cores.size());
      EXPECT_LT(d.axon, m.cores[d.core].input_axons.size()) << what;
      const auto pl = m.geometry.place(d.core);
      EXPECT_EQ(d.x, pl.x);
      EXPECT_EQ(d.y, pl.y);
      EXPECT_EQ(d.local, pl.local);
    }
  }
  EXPECT_EQ(used, m.cores_used) << what;
  for (size_t q = 0; q < net.populations.size(); ++q)
    for (uint64_t i = 0; i < net.populations[q].size(); ++i)
      ASSERT_NE(core_of[q][i], ~0u) << what << ": neuron not mapped";
  for (const Projection& pr : net.projections) {
    std::set<std::pair<uint64_t, uint32_t>> missing;
    for_each_pair(net, pr, [&](uint64_t s, uint64_t t) {
      const CoreProgram& src = m.cores[core_of[pr.source][s]];
      const uint32_t comp = comp_of[pr.source][s];
      const uint32_t want = core_of[pr.target][t];
      bool found = false;
      for (uint32_t e = src.out_begin[comp]; e < src.out_begin[comp + 1] && !found; ++e)
        found = src.out[e].core == want;
      if (!found) missing.insert({s, want});
    });
    EXPECT_TRUE(missing.empty()) << what << ": projection '" << pr.name << "': " << missing.size()
                                 << " (source neuron, target core) pairs without a route";
  }
}

ChipParams small_core_chip(bool shared, uint32_t words, uint32_t out_axons) {
  ChipParams p;
  p.mesh = {1, 1, 8, 8, 4};
  p.core.compartments = 48;
  p.core.input_axons = 120;
  p.core.synapse_words = words;
  p.core.output_axons = out_axons;
  p.core.graded_spikes = true;
  p.core.shared_conv_kernels = shared;
  p.mapping.rate_timesteps = 4;
  return p;
}

}  // namespace

TEST(Compiler, PartitionsNeverExceedALimitAndEverySpikeHasARouteAfterPlacement) {
  uint32_t compiled = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    RandomNetworkParams rp;
    rp.seed = seed;
    const Network net = make_random_network(rp);
    for (const bool shared : {false, true})
      for (const uint32_t words : {80u, 400u})
        for (const uint32_t out_axons : {400u, 4096u}) {
          const ChipParams p = small_core_chip(shared, words, out_axons);
          const std::string what = "seed " + std::to_string(seed) + (shared ? " shared" : " expanded") + " words " +
                                   std::to_string(words) + " output axons " + std::to_string(out_axons);
          CompiledNetwork c;
          try {
            c = compile_network(net, p);
          } catch (const MappingError& e) {
            // Only a per-core limit may fail (the mesh has room): never the core count.
            EXPECT_NE(e.resource, "cores") << what << ": " << e.what();
            EXPECT_GT(e.need, e.capacity) << what << ": " << e.what();
            continue;
          }
          ++compiled;
          check_program(net, p, c.program, what);
          EXPECT_LE(c.report.optimised.flit_hop_cycles, c.report.mesh_order.flit_hop_cycles + 1e-9) << what;
          EXPECT_DOUBLE_EQ(c.report.optimised.messages, c.report.mesh_order.messages) << what;
        }
  }
  EXPECT_GE(compiled, 20u) << "most profiles should fit";
}

// The balance objective caps each core's estimated work, never a limit: its partitions stay within every
// capacity, route every synapse, fit the mesh, and their longest estimated core is no longer than fit's.
TEST(Compiler, BalancedPartitionsNeverExceedALimitAndNeverWorkLongerThanFit) {
  uint32_t compiled = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    RandomNetworkParams rp;
    rp.seed = seed;
    const Network net = make_random_network(rp);
    for (const bool shared : {false, true}) {
      ChipParams p = small_core_chip(shared, 400, 4096);
      p.mapping.objective = "balance";
      const std::string what = "seed " + std::to_string(seed) + (shared ? " shared" : " expanded");
      CompiledNetwork c;
      try {
        c = compile_network(net, p);
      } catch (const MappingError& e) {
        EXPECT_NE(e.resource, "cores") << what << ": " << e.what();
        continue;
      }
      ++compiled;
      check_program(net, p, c.program, what);
      EXPECT_LE(c.program.cores_used, p.mesh.cores()) << what;
      EXPECT_LE(c.report.longest_cycles, c.report.fit_longest_cycles * (1 + 1e-12)) << what;
      EXPECT_GE(c.report.cores_used, c.report.fit_cores_used) << what;
    }
  }
  EXPECT_GE(compiled, 4u) << "most profiles should fit";
}

TEST(Compiler, IsDeterministic) {
  RandomNetworkParams rp;
  rp.seed = 3;
  const Network net = make_random_network(rp);
  const ChipParams p = small_core_chip(true, 400, 4096);
  const CompiledNetwork a = compile_network(net, p), b = compile_network(net, p);
  EXPECT_EQ(a.report.slot_of_core, b.report.slot_of_core);
  ASSERT_EQ(a.program.cores.size(), b.program.cores.size());
  for (size_t c = 0; c < a.program.cores.size(); ++c) {
    EXPECT_EQ(a.program.cores[c].synapse_words, b.program.cores[c].synapse_words);
    EXPECT_EQ(a.program.cores[c].out, b.program.cores[c].out);
  }
}

// Four one-core populations in a row of four routers. Traffic pairs P0 -> P3 and P1 -> P2: mesh order puts
// P0 and P3 three hops apart (4 n flit-hops in all); P0 P3 P1 P2 (or a mirror) needs 2 n.
TEST(Compiler, PlacementHalvesFlitHopsWhereABetterLayoutIsKnown) {
  const uint32_t n = 8;
  Network net;
  net.populations = {pop("P0", n, NeuronKind::Input), pop("P1", n, NeuronKind::Input), pop("P2", n), pop("P3", n)};
  net.projections = {one_to_one("a", 0, 3), one_to_one("b", 1, 2)};
  ChipParams p;
  p.mesh = {1, 1, 4, 1, 1};
  p.core.compartments = n;
  CompileOptions o;
  o.rates.assign(4 * n, 1.0);  // every neuron spikes every step
  const CompiledNetwork mesh = [&] {
    ChipParams q = p;
    q.mapping.placement = "mesh_order";
    return compile_network(net, q, o);
  }();
  EXPECT_DOUBLE_EQ(mesh.report.mesh_order.flit_hops, 4.0 * n);
  EXPECT_DOUBLE_EQ(mesh.report.optimised.flit_hops, 4.0 * n);
  EXPECT_EQ(mesh.program.placement[3][0].core, 3u);

  const CompiledNetwork c = compile_network(net, p, o);
  EXPECT_DOUBLE_EQ(c.report.mesh_order.flit_hops, 4.0 * n);
  EXPECT_DOUBLE_EQ(c.report.optimised.flit_hops, 2.0 * n);
  EXPECT_DOUBLE_EQ(c.report.optimised.flit_hop_cycles, 2.0 * n * p.router.hop_ew_cycles);
  EXPECT_DOUBLE_EQ(c.report.optimised.messages, 2.0 * n);
  const auto core = [&](uint32_t q) { return c.program.placement[q][0].core; };
  EXPECT_EQ(std::abs(int(core(0)) - int(core(3))), 1);
  EXPECT_EQ(std::abs(int(core(1)) - int(core(2))), 1);
  check_program(net, p, c.program, "row of four");
}

TEST(Compiler, NorthSouthHopsCostMoreThanEastWest) {
  const uint32_t n = 4;
  Network net;
  net.populations = {pop("A", n, NeuronKind::Input), pop("B", n)};
  net.projections = {one_to_one("ab", 0, 1)};
  ChipParams p;
  p.mesh = {1, 1, 2, 2, 1};
  p.core.compartments = n;
  CompileOptions o;
  o.rates.assign(2 * n, 0.5);
  const CompiledNetwork c = compile_network(net, p, o);
  // Mesh order: A at (0,0), B at (1,0): one east-west hop; already optimal.
  EXPECT_DOUBLE_EQ(c.report.mesh_order.flit_hop_cycles, 0.5 * n * p.router.hop_ew_cycles);
  EXPECT_DOUBLE_EQ(c.report.optimised.flit_hop_cycles, c.report.mesh_order.flit_hop_cycles);
  // Forcing B below A costs the north-south latency.
  const ChipProgram below = permute_cores(map_network(net, p), {0, 2});
  const TrafficTotals t = traffic_totals(estimate_traffic(net, below, o.rates), below, p);
  EXPECT_DOUBLE_EQ(t.flit_hops, 0.5 * n);
  EXPECT_DOUBLE_EQ(t.flit_hop_cycles, 0.5 * n * p.router.hop_ns_cycles);
}

TEST(Compiler, MeasuredRatesAreSpikesPerStepAfterTheWarmup) {
  Network net;
  net.populations = {pop("in", 3, NeuronKind::Input)};
  const uint32_t warmup = 5, steps = 40;
  const std::vector<double> r = measure_firing_rates(net, warmup, steps, 7);
  const Stimulus stim = make_random_stimulus(net, warmup + steps, 7);  // what the measurement drives
  ASSERT_EQ(r.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    uint32_t fired = 0;
    for (uint32_t t = warmup; t < warmup + steps; ++t) fired += stim.inputs[0].payloads[t * 3 + i] != 0;
    EXPECT_DOUBLE_EQ(r[i], double(fired) / steps) << "neuron " << i;
    EXPECT_GT(fired, 0u);
  }
}

TEST(Compiler, ReportsTheDepthOfABalancedNetworkAndFlagsAnUnbalancedOne) {
  // in -> A -> B, and a skip in -> B: balanced, the skip needs delay 1 and D = 2.
  Network net;
  net.populations = {pop("in", 4, NeuronKind::Input), pop("A", 4), pop("B", 4, NeuronKind::Readout)};
  net.projections = {one_to_one("in_A", 0, 1), one_to_one("A_B", 1, 2), one_to_one("skip", 0, 2)};
  ChipParams p;
  p.mesh = {1, 1, 2, 1, 2};
  p.core.compartments = 4;
  const CompiledNetwork raw = compile_network(net, p);
  ASSERT_TRUE(raw.report.depth_known) << raw.report.depth_note;
  EXPECT_FALSE(raw.report.balanced);
  EXPECT_EQ(raw.report.depth, 2u);
  EXPECT_EQ(raw.report.projection_delay, (std::vector<uint32_t>{0, 0, 1}));
  EXPECT_EQ(net.projections[2].delays[0], 0) << "the compiler never changes the network";
  Network bal = net;
  balance_delays(bal);
  const CompiledNetwork b = compile_network(bal, p);
  EXPECT_TRUE(b.report.balanced);
  EXPECT_EQ(b.report.depth, 2u);
  EXPECT_EQ(b.report.rate_timesteps, p.mapping.rate_timesteps);
}

TEST(Compiler, UnknownPlacementIsNamed) {
  Network net;
  net.populations = {pop("in", 2, NeuronKind::Input)};
  ChipParams p;
  p.mapping.placement = "fastest";
  try {
    compile_network(net, p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "chip.mapping.placement: expected 'mesh_order' or 'min_hops', got 'fastest'");
  }
}

TEST(Compiler, OverSizeModelNamesPopulationResourceAndTheSmallestShape) {
  Network net;
  net.populations = {pop("in", 10, NeuronKind::Input), pop("big", 90)};
  Projection pr = one_to_one("x", 0, 1);
  net.populations[0].shape = {90};
  net.projections = {pr};
  ChipParams p;
  p.mesh = {1, 1, 1, 1, 2};
  p.core.compartments = 16;  // 180 neurons: 12 cores
  try {
    compile_network(net, p);
    FAIL() << "no error";
  } catch (const MappingError& e) {
    EXPECT_EQ(e.resource, "cores");
    EXPECT_EQ(e.population, "in");
    EXPECT_EQ(e.need, 12u);
    EXPECT_EQ(e.capacity, 2u);
    EXPECT_NE(std::string(e.what()).find("resource cores: the network needs 12 cores, the chip has 2"),
              std::string::npos)
        << e.what();
  }
  const ShapeSearch s = smallest_fitting_shape(net, p);
  ASSERT_TRUE(s.found) << s.why;
  // 12 cores at 2 per router: 6 routers; 2 x 3 is squarer than 1 x 6.
  EXPECT_EQ(s.mesh.routers_x, 2u);
  EXPECT_EQ(s.mesh.routers_y, 3u);
  EXPECT_EQ(s.mesh.chips_x, 1u);
  EXPECT_EQ(s.describe(), "chips_x=1 chips_y=1 routers_x=2 routers_y=3 cores_per_router=2 (12 cores)");
  ChipParams q = p;
  q.mesh = s.mesh;
  EXPECT_EQ(compile_network(net, q).report.cores_used, 12u);

  // Routers bounded at 2 x 2: the search goes on to chips (3 of 1 x 1 routers... 2 x 3 chips).
  const ShapeSearch chips = smallest_fitting_shape(net, p, 2, 4);
  ASSERT_TRUE(chips.found) << chips.why;
  EXPECT_EQ(chips.mesh.routers_x, 1u);
  EXPECT_EQ(chips.mesh.chips_x * chips.mesh.chips_y, 6u);

  const ShapeSearch none = smallest_fitting_shape(net, p, 2, 2);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(
      none.why,
      "none up to 1x1 chips of 2x2 routers or 2x2 chips of 1x1 routers (2 cores each): the network needs 12 cores");
}

TEST(Compiler, PerCoreLimitHasNoFittingShape) {
  Network net;
  net.populations = {pop("in", 200, NeuronKind::Input), pop("wide", 1)};
  Projection pr;
  pr.name = "all";
  pr.source = 0;
  pr.target = 1;
  pr.encoding = Encoding::Dense;
  pr.weights.assign(200, 3);
  net.projections = {pr};
  ChipParams p;
  p.core.input_axons = 100;
  try {
    map_network(net, p);
    FAIL() << "no error";
  } catch (const MappingError& e) {
    EXPECT_EQ(e.resource, "input axons");
    EXPECT_EQ(e.population, "wide");
    EXPECT_EQ(e.need, 200u);
    EXPECT_EQ(e.capacity, 100u);
  }
  const ShapeSearch s = smallest_fitting_shape(net, p);
  EXPECT_FALSE(s.found);
  EXPECT_EQ(s.why, "none: the limit is per core (resource input axons), a larger mesh does not help");
}
