// The mapping objective (chip.mapping.objective, model/mapping.h): the estimated work per core
// (model/core_work.h) counted by hand, the balanced partition's cores and its longest core on a heavy and a
// light population, fit left as it was, a bad objective named by its key, and the interleave objective's
// busiest timestep and shared cores.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler.h"
#include "core_work.h"
#include "error.h"
#include "mapping_index.h"
#include "mapping_networks.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// in (4, input) -dense-> H (8): heavy, every H neuron hears all 4 inputs. L (8): light, no synapses (a bias
// drives it). Only the inputs fire, once per timestep.
Network heavy_light() {
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("H", {8}), pop("L", {8})};
  net.projections = {dense(0, 1, 4 * 8)};
  return net;
}

std::vector<double> heavy_light_rates() {
  std::vector<double> r(20, 0.0);
  for (int i = 0; i < 4; ++i) r[i] = 1.0;
  return r;
}

// Cycle costs that keep the arithmetic by hand: a message in costs 10, a synaptic op 1, a message out 1,
// a compartment update 1; 8 compartments per core, `cores` cores in a row.
ChipParams hand_chip(uint32_t cores, const std::string& objective) {
  ChipParams p = row_chip(8, cores);
  p.core.axon_in_cycles = 10;
  p.core.synop_cycles = 1;
  p.core.axon_out_cycles = 1;
  p.core.update_active_cycles = 1;
  p.mapping.objective = objective;
  p.mapping.placement = "mesh_order";
  return p;
}

std::vector<std::vector<std::pair<uint32_t, uint32_t>>> layout(const ChipProgram& m) {
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> out;  // per used core: (population, neurons)
  for (const CoreProgram& c : m.cores) {
    if (c.compartments == 0) continue;
    out.emplace_back();
    for (const CoreSegment& s : c.segments) {
      if (!out.back().empty() && out.back().back().first == s.population)
        out.back().back().second += s.count;
      else
        out.back().emplace_back(s.population, s.count);
    }
  }
  return out;
}

// The work rates of `net` when its first `inputs` neurons (the input population) fire once per timestep and
// the rest never, on 64-compartment cores with conv kernels shared or expanded.
WorkRates inputs_firing(const Network& net, uint64_t inputs, bool shared) {
  std::vector<double> rates(net.total_neurons(), 0.0);
  std::fill(rates.begin(), rates.begin() + inputs, 1.0);
  ChipParams p = row_chip(64);
  p.core.shared_conv_kernels = shared;
  const MappingIndex index(net, p);
  return work_rates(index, rates);
}

}  // namespace

using Layout = std::vector<std::vector<std::pair<uint32_t, uint32_t>>>;

// Fit: core 0 = in + H0-3, core 1 = H4-7 + L0-3, core 2 = L4-7. Core 0: 4 messages in (one per input, each
// reaching its own axon) x 10 + 16 synaptic ops (4 H x 4) = 56 dendrite cycles; the 4 inputs each send one
// message to cores 0 and 1 = 8 out; 8 updates: 8 + max(56, 8) = 64. Core 1 the same dendrite work, nothing
// out: 64. Core 2: 4 updates.
TEST(MappingObjective, CoreWorkIsSweepPlusTheLongerOfDendriteAndOutputStage) {
  CompileOptions o;
  o.rates = heavy_light_rates();
  const CompiledNetwork c = compile_network(heavy_light(), hand_chip(8, "fit"), o);
  EXPECT_EQ(layout(c.program), (Layout{{{0, 4}, {1, 4}}, {{1, 4}, {2, 4}}, {{2, 4}}}));
  const auto& w = c.report.core_work;
  EXPECT_DOUBLE_EQ(w[0].messages_in, 4.0);
  EXPECT_DOUBLE_EQ(w[0].synops, 16.0);
  EXPECT_DOUBLE_EQ(w[0].messages_out, 8.0);
  EXPECT_DOUBLE_EQ(w[0].dendrite_cycles, 56.0);
  EXPECT_DOUBLE_EQ(w[0].output_cycles, 8.0);
  EXPECT_DOUBLE_EQ(w[0].sweep_cycles, 8.0);
  EXPECT_DOUBLE_EQ(w[0].cycles(), 64.0);
  EXPECT_DOUBLE_EQ(w[1].cycles(), 64.0);
  EXPECT_DOUBLE_EQ(w[1].messages_out, 0.0);
  EXPECT_DOUBLE_EQ(w[2].cycles(), 4.0);
  EXPECT_DOUBLE_EQ(w[3].cycles(), 0.0);  // unused
  EXPECT_DOUBLE_EQ(c.report.longest_cycles, 64.0);
  EXPECT_DOUBLE_EQ(c.report.fit_longest_cycles, 64.0);
  EXPECT_EQ(c.report.balance.probes, 0u);  // fit searches nothing
  ASSERT_EQ(c.report.population_work.size(), 3u);
  EXPECT_EQ(c.report.population_work[1].cores, 2u);
  EXPECT_DOUBLE_EQ(c.report.population_work[1].max_core_cycles, 64.0);
  EXPECT_EQ(c.report.population_work[2].cores, 2u);
  EXPECT_DOUBLE_EQ(c.report.population_work[2].mean_core_cycles, 34.0);  // (64 + 4) / 2
}

// On 8 cores the cap falls to 50: in + H0 (4 + 1 updates, 40 + 4 dendrite; out: each input reaches the 5
// cores holding H = 20 < 44) = 49, a third H would make 54; then H in pairs (2 + 40 + 8 = 50), H7 with five
// L (6 + 44 = 50), the last three L alone. At 49 a core holds one H only (two: 50), so H takes cores 0-7 and
// the last four L a ninth core: 49 does not fit, and the bisection stops within 1 % of 50.
TEST(MappingObjective, BalanceSplitsTheHeavyPopulationOverFreeCoresDownToTheLowestCapThatFits) {
  CompileOptions o;
  o.rates = heavy_light_rates();
  const CompiledNetwork c = compile_network(heavy_light(), hand_chip(8, "balance"), o);
  EXPECT_EQ(layout(c.program), (Layout{{{0, 4}, {1, 1}}, {{1, 2}}, {{1, 2}}, {{1, 2}}, {{1, 1}, {2, 5}}, {{2, 3}}}));
  EXPECT_EQ(c.report.fit_cores_used, 3u);
  EXPECT_EQ(c.report.cores_used, 6u);
  EXPECT_DOUBLE_EQ(c.report.fit_longest_cycles, 64.0);
  EXPECT_DOUBLE_EQ(c.report.balance.cap_cycles, 50.0);
  EXPECT_DOUBLE_EQ(c.report.longest_cycles, 50.0);
  EXPECT_DOUBLE_EQ(c.report.core_work[0].cycles(), 49.0);
  EXPECT_DOUBLE_EQ(c.report.core_work[0].messages_out, 20.0);
  EXPECT_DOUBLE_EQ(c.report.core_work[5].cycles(), 3.0);
  EXPECT_EQ(c.report.population_work[1].cores, 5u);
  EXPECT_DOUBLE_EQ(c.report.population_work[1].max_core_cycles, 50.0);
  EXPECT_EQ(c.report.fit_population_work[1].cores, 2u);
  EXPECT_DOUBLE_EQ(c.report.fit_population_work[1].max_core_cycles, 64.0);
  // From fit's 64: 32 and 48 (no), 56, 52 and 50 (yes), 49 and 49.5 (no).
  EXPECT_EQ(c.report.balance.probes, 7u);
}

// With only fit's 3 cores there is no room: every cap below 64 spills L onto a fourth core, so balance keeps
// the fit partition.
TEST(MappingObjective, BalanceWithoutFreeCoresKeepsTheFitPartition) {
  CompileOptions o;
  o.rates = heavy_light_rates();
  const CompiledNetwork fit = compile_network(heavy_light(), hand_chip(3, "fit"), o);
  const CompiledNetwork bal = compile_network(heavy_light(), hand_chip(3, "balance"), o);
  EXPECT_EQ(layout(bal.program), layout(fit.program));
  EXPECT_DOUBLE_EQ(bal.report.longest_cycles, 64.0);
  EXPECT_DOUBLE_EQ(bal.report.balance.cap_cycles, 64.0);
}

// fit is the default and compiles exactly what map_network (the mapper before objectives) does.
TEST(MappingObjective, FitIsTheDefaultAndTheMapperUnchanged) {
  EXPECT_EQ(ChipParams{}.mapping.objective, "fit");
  ChipParams p = hand_chip(8, "fit");
  const ChipProgram direct = map_network(heavy_light(), p);
  CompileOptions o;
  o.rates = heavy_light_rates();
  const ChipProgram compiled = compile_network(heavy_light(), p, o).program;
  ASSERT_EQ(direct.cores.size(), compiled.cores.size());
  for (size_t c = 0; c < direct.cores.size(); ++c) {
    EXPECT_EQ(direct.cores[c].out, compiled.cores[c].out);
    EXPECT_EQ(direct.cores[c].synapse_words, compiled.cores[c].synapse_words);
  }
}

TEST(MappingObjective, AnUnknownObjectiveNamesTheKeyAndTheChoices) {
  CompileOptions o;
  o.rates = heavy_light_rates();
  try {
    compile_network(heavy_light(), hand_chip(8, "fastest"), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "chip.mapping.objective: expected 'fit', 'balance' or 'interleave', got 'fastest'");
  }
}

// chip.mapping.rates: 'workload' takes the rates the FSDDIM loop measures (CompileOptions::rates); without
// them (a run with no loop) it is an error naming the key, as is a value that is not a choice. Given rates
// are reported with their source; measured ones say what drove them.
TEST(MappingObjective, WorkloadRatesNeedTheLoopAndUnknownSourcesAreNamed) {
  ChipParams p = hand_chip(8, "balance");
  p.mapping.rates = "workload";
  try {
    compile_network(heavy_light(), p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "chip.mapping.rates: 'workload' measures the rates on the FSDDIM loop's own images, and this run "
                 "has no loop (fsddim.images is 0); use 'random'");
  }
  CompileOptions o;
  o.rates = heavy_light_rates();
  o.rates_source = "workload: by hand";
  EXPECT_EQ(compile_network(heavy_light(), p, o).report.rates_source, "workload: by hand");
  p.mapping.rates = "measured";
  try {
    compile_network(heavy_light(), p, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "chip.mapping.rates: expected 'random' or 'workload', got 'measured'");
  }
  p.mapping.rates = "random";
  EXPECT_EQ(compile_network(heavy_light(), p).report.rates_source, "random input: 8 reference steps after D, seed 1");
}

// A conv target hears one synapse per source channel of its group at each source pixel in its window: with
// every input firing once per timestep, a corner of a 3x3 map with a 3x3 kernel (padding 1) receives 2 x 4
// synaptic ops (2 input channels), an edge 2 x 6, the centre 2 x 9; a shared kernel's population axon at a
// source pixel receives one message per source channel there. Expanded (sparse) or shared, the same ops.
TEST(MappingObjective, ConvTargetsReceiveOneOpPerSourceChannelInTheirWindow) {
  Network net;
  net.populations = {pop("img", {2, 3, 3}, NeuronKind::Input), pop("A", {3, 3, 3})};
  net.projections = {conv3x3(0, 1, 2, 3)};
  for (const bool shared : {false, true}) {
    const WorkRates w = inputs_firing(net, 18, shared);
    for (uint32_t co = 0; co < 3; ++co) {
      const uint64_t a = 18 + co * 9;
      EXPECT_DOUBLE_EQ(w.synops_in[a + 0], 8.0) << shared;   // corner
      EXPECT_DOUBLE_EQ(w.synops_in[a + 1], 12.0) << shared;  // edge
      EXPECT_DOUBLE_EQ(w.synops_in[a + 4], 18.0) << shared;  // centre
    }
    EXPECT_DOUBLE_EQ(w.synops_in[0], 0.0);  // the input hears nothing
    if (shared) {
      ASSERT_EQ(w.pixel_rate[0].size(), 9u);
      EXPECT_DOUBLE_EQ(w.pixel_rate[0][4], 2.0);
    }
  }
}

// An upsampling conv (nearest x2, 2x2 -> 4x4, 3x3 kernel, padding 1) reaches a target from one source pixel
// through several taps, and the dendrite does one op per tap: with every input firing once per timestep the
// corner (0, 0) hears source (0, 0) through its 4 in-map taps, the edge (0, 1) 6 ops (4 from (0, 0), 2 from
// (0, 1)), the centre (1, 1) all 9 (4 + 2 + 2 + 1); times the 2 input channels. Counting each source pixel
// once (4, 6 and 4 distinct reaching pixels: 2, 2, 4) undercounts the U-Net's up path.
TEST(MappingObjective, AnUpsamplingConvCostsOneOpPerTap) {
  Network net;
  net.populations = {pop("img", {2, 2, 2}, NeuronKind::Input), pop("A", {3, 4, 4})};
  net.projections = {conv3x3(0, 1, 2, 3)};
  net.projections[0].conv.upsample = 2;
  for (const bool shared : {false, true}) {
    const WorkRates w = inputs_firing(net, 8, shared);
    for (uint32_t co = 0; co < 3; ++co) {
      const uint64_t a = 8 + co * 16;
      EXPECT_DOUBLE_EQ(w.synops_in[a + 0], 8.0) << shared;   // corner (0, 0)
      EXPECT_DOUBLE_EQ(w.synops_in[a + 1], 12.0) << shared;  // edge (0, 1)
      EXPECT_DOUBLE_EQ(w.synops_in[a + 5], 18.0) << shared;  // centre (1, 1)
      EXPECT_DOUBLE_EQ(w.synops_in[a + 15], 8.0) << shared;  // corner (3, 3)
    }
    if (shared) {
      EXPECT_DOUBLE_EQ(w.pixel_rate[0][0], 2.0);  // one message per source channel at a pixel, taps aside
    }
  }
}

TEST(MappingObjective, RatesOfTheWrongLengthAreAnError) {
  const Network net = heavy_light();
  const MappingIndex index(net, row_chip(8));
  try {
    work_rates(index, std::vector<double>(3, 1.0));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "mapping: firing rates: expected one per neuron (20), got 3");
  }
}

// A core's busiest timestep under work windows: the sweep of all its compartments plus, in the worst
// timestep, the longer of the dendrite and output work of the windows that hold it. With a synaptic op and a
// message out at 1 cycle each (messages in free), windows of length 2 starting at 0 (5 ops, 1 message out),
// 1 (7 ops) and 3 (20 messages out): timestep 1 holds the first two (dendrite 12), timesteps 3 and 4 the
// third (output 20); with 4 compartments at 1 cycle each: 4 + 20.
TEST(MappingObjective, BusiestTimestepSumsTheWindowsThatHoldIt) {
  CoreParams c;
  c.update_active_cycles = 1;
  c.synop_cycles = 1;
  c.axon_out_cycles = 1;
  c.axon_in_cycles = 0;
  WindowedWork w;
  w.add(0, 0.0, 5.0, 1.0);
  w.add(1, 0.0, 7.0, 0.0);
  w.add(3, 0.0, 0.0, 20.0);
  EXPECT_DOUBLE_EQ(busiest_timestep_cycles(c, 4, w, 2), 24.0);
  w.add(3, 0.0, 0.0, -15.0);  // output 5 at 3..4: now timestep 1's dendrite 12 is the busiest
  EXPECT_DOUBLE_EQ(busiest_timestep_cycles(c, 4, w, 2), 16.0);
  EXPECT_DOUBLE_EQ(busiest_timestep_cycles(c, 4, w, 3), 4.0 + 12.0);  // 0..2 and 1..3 overlap at 1, 2
  EXPECT_DOUBLE_EQ(busiest_timestep_cycles(c, 0, WindowedWork{}, 4), 0.0);
}

namespace {
// in (4, input) -dense-> A (8) -dense-> B (8), in and A firing once per timestep, B silent; windows of one
// timestep at depths 0, 1, 2 (T = 1). A's dendrite work (4 messages x 10 + 4 ops per neuron) falls in in's
// window, B's (8 messages x 10 + 8 ops per neuron) in A's: one image at a time they never meet.
Network chain() {
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("A", {8}), pop("B", {8})};
  net.projections = {dense(0, 1, 4 * 8), dense(1, 2, 8 * 8)};
  return net;
}
CompileOptions chain_options(bool windows) {
  CompileOptions o;
  o.rates.assign(20, 0.0);
  for (int i = 0; i < 12; ++i) o.rates[i] = 1.0;
  if (windows) {
    o.window_start = {0, 1, 2};
    o.window_length = 1;
  }
  return o;
}
}  // namespace

// Interleave against balance on the same 5 cores. Balance charges a core the sum of its segments: A and B
// stay apart and B takes three cores, two of 3 neurons (3 + 8 x 10 + 3 x 8 = 107). Interleave caps the
// busiest timestep and puts A and B together. Core 0 = in + A0-2 + B0: in's window has A's dendrite work
// (4 x 10 + 3 x 4 = 52) and in's messages out (4 neurons to the 2 cores holding A: 8); A's window has B0's
// (8 x 10 + 8 = 88) and A's messages out (3 neurons to the 5 cores holding B: 15); 8 updates: busiest
// 8 + 88 = 96, the sum 8 + 140 = 148. Core 4 = A3-7 + B7: 6 + 88 = 94 (sum 6 + 60 + 88 = 154). B's own cores
// hold 2: 2 + 80 + 16 = 98, the longest.
TEST(MappingObjective, InterleaveSharesCoresBetweenWindowsThatNeverMeet) {
  ChipParams p = hand_chip(5, "balance");
  const CompiledNetwork bal = compile_network(chain(), p, chain_options(false));
  EXPECT_EQ(layout(bal.program), (Layout{{{0, 4}, {1, 4}}, {{1, 4}}, {{2, 3}}, {{2, 3}}, {{2, 2}}}));
  EXPECT_DOUBLE_EQ(bal.report.longest_cycles, 107.0);
  p.mapping.objective = "interleave";
  const CompiledNetwork il = compile_network(chain(), p, chain_options(true));
  EXPECT_EQ(layout(il.program), (Layout{{{0, 4}, {1, 3}, {2, 1}}, {{2, 2}}, {{2, 2}}, {{2, 2}}, {{1, 5}, {2, 1}}}));
  const auto& w = il.report.core_work;
  EXPECT_DOUBLE_EQ(w[0].busiest_timestep_cycles, 96.0);
  EXPECT_DOUBLE_EQ(w[0].cycles(), 148.0);
  EXPECT_DOUBLE_EQ(w[4].busiest_timestep_cycles, 94.0);
  EXPECT_DOUBLE_EQ(w[4].cycles(), 154.0);
  EXPECT_DOUBLE_EQ(w[1].objective_cycles(), 98.0);
  EXPECT_DOUBLE_EQ(il.report.longest_cycles, 98.0);
}

// Without windows (no FSDDIM loop) interleave is an error naming the key; windows of the wrong length too.
TEST(MappingObjective, InterleaveNeedsTheLoopsWindows) {
  const ChipParams p = hand_chip(6, "interleave");
  try {
    compile_network(chain(), p, chain_options(false));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "chip.mapping.objective: 'interleave' weighs each population's work in its window of one image's "
                 "network call, which only the FSDDIM loop with one image at a time has (fsddim.images > 0, "
                 "fsddim.pipeline: 1); use 'balance'");
  }
  CompileOptions o = chain_options(true);
  o.window_start.pop_back();
  try {
    compile_network(chain(), p, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "compiler: work windows: expected one per population (3), got 2");
  }
}
