// Invariants of a whole run (spikes sent = received, flits injected = ejected, synaptic events = the
// reference's) and energy accounting (total = sum of its parts; a hand-priced run).
#include <gtest/gtest.h>

#include <numeric>

#include "../line_network.h"
#include "chip_harness.h"
#include "chip_run.h"
#include "config.h"
#include "energy.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

std::string source_path(const std::string& rel) { return std::string(SPIKEMESH_SOURCE_DIR) + "/" + rel; }

void expect_invariants(const ChipRunOutput& run, const SimResult& ref) {
  const ChipCounters& c = run.counters;
  uint64_t sent = 0, received = 0, synops = 0, spikes = 0;
  for (const auto& x : c.cores) {
    sent += x.messages_out;
    received += x.messages_in;
    synops += x.synops();
    spikes += x.spikes;
  }
  uint64_t injected = 0, ejected = 0, flits = 0, hops = 0;
  for (const auto& r : c.routers) {
    injected += r.injected;
    ejected += r.ejected;
    flits += r.flits;
    hops += r.hops_ew + r.hops_ns + r.hops_chip;
  }
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(sent, received);
  EXPECT_EQ(injected, sent);
  EXPECT_EQ(ejected, injected);
  EXPECT_EQ(flits, hops + ejected);  // every grant is a hop or a delivery
  EXPECT_EQ(synops, ref.synaptic_events);
  EXPECT_EQ(spikes, ref.spike_count);
  EXPECT_EQ(std::accumulate(c.step_cycles.begin(), c.step_cycles.end(), uint64_t{0}), c.cycles);
}

void expect_sum_of_parts(const EnergyReport& e) {
  const double tol = 1e-12 * e.total_j;
  double parts = 0;
  for (double j : e.per_core_j) parts += j;
  for (double j : e.per_router_j) parts += j;
  EXPECT_NEAR(parts, e.total_j, tol);
  double events = 0;
  for (const auto& x : e.core_events) events += x.second;
  for (const auto& x : e.router_events) events += x.second;
  EXPECT_NEAR(events, e.dynamic_j, tol);
  EXPECT_NEAR(e.core_dynamic_j + e.core_static_j + e.router_dynamic_j + e.router_static_j, e.total_j, tol);
  EXPECT_NEAR(e.dynamic_j + e.static_j, e.total_j, tol);
}

}  // namespace

TEST(ChipInvariants, MultiChipRunConservesMessagesAndPricesEnergyAsTheSumOfItsParts) {
  RandomNetworkParams rp;
  rp.seed = 12;
  const Network net = make_random_network(rp);
  const Stimulus stim = make_random_stimulus(net, 16, 5);
  const SimResult ref = run_reference(net, stim, 16);
  const ChipRunOutput run = run_chip(net, multi_chip(48), stim, 16, 0);
  ASSERT_TRUE(run.completed);
  expect_identical(run.result, ref);
  expect_invariants(run, ref);
  uint64_t chip_hops = 0;
  for (const auto& r : run.counters.routers) chip_hops += r.hops_chip;
  EXPECT_GT(chip_hops, 0u) << "the multi-chip shape should send flits across chip links";
  for (const char* table : {"configs/energy/davies2018.yaml", "configs/energy/sanafe_loihi.yaml"}) {
    const EnergyReport e = price_energy(run.counters, load_energy_table(source_path(table)));
    EXPECT_GT(e.dynamic_j, 0.0) << table;
    EXPECT_GT(e.static_j, 0.0) << table;
    expect_sum_of_parts(e);
  }
}

TEST(ChipEnergy, AOneMessageRunPricedByHandWithDavies2018) {
  // One input spike from core 0 to a neuron on core 10 of a 4 x 3 mesh (one compartment per core, nine
  // idle fillers), 3 timesteps: the run of ChipTiming.TimestepIsSweepMessageDendriteAndBarrierToTheCycle.
  const Network net = line_network(10);
  ChipParams p = line_chip();
  p.mapping.placement = "mesh_order";  // the hand count below follows mesh order: 'in' at (0,0), 'target' at (2,2)
  const ChipRunOutput run = run_chip(net, p, one_input_spike(), 3, 0);
  ASSERT_TRUE(run.completed);
  EXPECT_EQ(run.counters.cycles, 681u + 603 + 603);
  const EnergyReport e = price_energy(run.counters, load_energy_table(source_path("configs/energy/davies2018.yaml")));
  // 1 synaptic op (23.6 pJ), 2 active (81) and 28 inactive (52) updates, 2 east-west (3.0) and 2 north-south
  // (4.0) hops, 1 within-tile delivery (1.7): 1657.3 pJ. Static: 12 cores x 0.8125 mW x 1887 cycles / 2 GHz.
  EXPECT_NEAR(e.dynamic_j, 1657.3e-12, 1e-21);
  EXPECT_NEAR(e.static_j, 12 * 0.8125e-3 * 1887 / 2e9, 1e-21);
  EXPECT_EQ(e.unpriced,
            (std::vector<std::string>{"core.word_read", "core.spike", "core.message_out", "core.message_in"}));
  expect_sum_of_parts(e);
  // The target core's own energy: 1 synop, 2 active, 1 inactive update, plus its static share.
  EXPECT_NEAR(e.per_core_j[10], (23.6 + 2 * 81 + 52) * 1e-12 + 0.8125e-3 * 1887 / 2e9, 1e-21);
}

TEST(ChipEnergy, InputFifoEntriesBeyondTheTablesSixteenDrawStaticPowerEach) {
  // The run above with 1024-entry input FIFOs: one message never fills a FIFO, so the cycles are the same;
  // each of the 12 cores draws 1008 x 1.24e-5 mW more (docs/sources.md#input-fifo).
  const Network net = line_network(10);
  ChipParams p = line_chip();
  p.mapping.placement = "mesh_order";
  p.core.input_fifo_depth = 1024;
  const ChipRunOutput run = run_chip(net, p, one_input_spike(), 3, 0);
  ASSERT_TRUE(run.completed);
  EXPECT_EQ(run.counters.cycles, 681u + 603 + 603);
  EXPECT_EQ(run.counters.input_fifo_depth, 1024u);
  EnergyTable table = load_energy_table(source_path("configs/energy/davies2018.yaml"));
  const EnergyReport e = price_energy(run.counters, table);
  const double seconds = 1887 / 2e9;
  EXPECT_NEAR(e.core_input_fifo_static_j, 12 * 1008 * 1.24e-5 * 1e-3 * seconds, 1e-24);
  EXPECT_NEAR(e.static_j, 12 * (0.8125 + 1008 * 1.24e-5) * 1e-3 * seconds, 1e-21);
  EXPECT_NEAR(e.dynamic_j, 1657.3e-12, 1e-21);
  EXPECT_NEAR(e.per_core_j[10], (23.6 + 2 * 81 + 52) * 1e-12 + (0.8125 + 1008 * 1.24e-5) * 1e-3 * seconds, 1e-21);
  expect_sum_of_parts(e);
  // A table with no price for the entries lists them as unpriced and charges the core figure alone.
  table.input_fifo_entry_static_mw.reset();
  const EnergyReport u = price_energy(run.counters, table);
  EXPECT_NEAR(u.static_j, 12 * 0.8125e-3 * seconds, 1e-21);
  EXPECT_EQ(u.core_input_fifo_static_j, 0.0);
  EXPECT_EQ(u.unpriced.front(), "core.input_fifo_entry");
  // A FIFO no deeper than the table's 16 costs nothing more: the default profiles price exactly as before.
  ChipCounters shallow = run.counters;
  shallow.input_fifo_depth = 16;
  table = load_energy_table(source_path("configs/energy/davies2018.yaml"));
  const EnergyReport s = price_energy(shallow, table);
  EXPECT_EQ(s.static_j, 0.8125 * 1e-3 * seconds * 12);  // bit for bit the formula without FIFO entries
  EXPECT_EQ(s.core_input_fifo_static_j, 0.0);
}
