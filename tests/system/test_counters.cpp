// The counters' one field list (hw/counters.h): totals and intervals, report keys, energy events; and the
// one walk over a chip (hw/chip_snapshot.h) adds up to the chip's own totals.
#include <gtest/gtest.h>

#include <systemc>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../line_network.h"
#include "chip_harness.h"
#include "chip_run.h"
#include "chip_snapshot.h"
#include "counters.h"
#include "energy.h"
#include "json_writer.h"
#include "random_network.h"
#include "report.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// Field values by report key.
template <class Counters>
std::map<std::string, uint64_t> values_of(const Counters& c) {
  std::map<std::string, uint64_t> out;
  auto get = [&](const CounterField& f, uint64_t v) { out[f.key] = v; };
  c.describe(get);
  return out;
}

// Every field set to base + 7 x its position (distinct values, peaks included).
template <class Counters>
Counters numbered(uint64_t base) {
  Counters c;
  uint64_t k = 0;
  auto set = [&](const CounterField&, uint64_t& v) { v = base + 7 * k++; };
  c.describe(set);
  return c;
}

template <class Counters>
void expect_round_trip() {
  const Counters a = numbered<Counters>(100), b = numbered<Counters>(3);
  Counters sum = a;
  sum += b;
  Counters back = sum;
  back -= b;
  const auto va = values_of(a), vb = values_of(b), vs = values_of(sum), vback = values_of(back);
  Counters::fields([&](const CounterField& f, uint64_t Counters::*) {
    if (f.kind == CounterKind::Sum) {
      EXPECT_EQ(vs.at(f.key), va.at(f.key) + vb.at(f.key)) << f.key;
      EXPECT_EQ(vback.at(f.key), va.at(f.key)) << f.key << ": += then -= gives the original";
    } else {
      EXPECT_EQ(vs.at(f.key), std::max(va.at(f.key), vb.at(f.key))) << f.key << ": a total takes the largest peak";
      EXPECT_EQ(vback.at(f.key), vs.at(f.key)) << f.key << ": an interval keeps the later peak";
    }
  });
  // A smaller peak added later does not lower it.
  Counters small = numbered<Counters>(0);
  small += a;
  Counters big = a;
  big += numbered<Counters>(0);
  EXPECT_EQ(values_of(small), values_of(big));
}

// The members a counter struct has (sizeof, past its empty base) equal its field list, each listed once.
template <class Counters>
void expect_every_member_listed_once() {
  std::set<std::string> keys;
  std::set<const void*> members;
  Counters c;
  uint64_t n = 0;
  Counters::fields([&](const CounterField& f, uint64_t Counters::*m) {
    EXPECT_TRUE(keys.insert(f.key).second) << "duplicate report key " << f.key;
    EXPECT_TRUE(members.insert(&(c.*m)).second) << "member listed twice: " << f.key;
    ++n;
  });
  EXPECT_EQ(n * sizeof(uint64_t), sizeof(Counters));
}

template <class Counters>
void expect_report_keys_in_field_order() {
  const Counters c = numbered<Counters>(11);
  std::ostringstream os;
  {
    JsonWriter j(os);
    j.begin_object();
    write_counters(j, c);
    j.end_object();
  }
  const std::string text = os.str();
  size_t last = 0;
  Counters::fields([&](const CounterField& f, uint64_t Counters::*m) {
    const std::string member = "\"" + std::string(f.key) + "\": " + std::to_string(c.*m);
    const size_t at = text.find(member);
    ASSERT_NE(at, std::string::npos) << member << " in " << text;
    EXPECT_EQ(text.find(member, at + 1), std::string::npos) << f.key << " written twice";
    EXPECT_GE(at, last) << f.key << " out of field order";
    last = at;
  });
}

}  // namespace

TEST(Counters, AddingThenSubtractingGivesTheOriginalAndPeaksTakeTheLargestThenStay) {
  expect_round_trip<CoreCounters>();
  expect_round_trip<RouterCounters>();
  expect_round_trip<ManagementCounters>();
}

TEST(Counters, EveryMemberIsInTheFieldListOnceUnderItsOwnKey) {
  expect_every_member_listed_once<CoreCounters>();
  expect_every_member_listed_once<RouterCounters>();
  expect_every_member_listed_once<ManagementCounters>();
}

TEST(Counters, EveryFieldIsWrittenOnceAsAReportKeyInFieldOrder) {
  expect_report_keys_in_field_order<CoreCounters>();
  expect_report_keys_in_field_order<RouterCounters>();
  expect_report_keys_in_field_order<ManagementCounters>();
}

TEST(Counters, EveryEnergyEventOfTheFieldListIsPricedByTheTableInFieldOrder) {
  EnergyTable t;
  t.synop_dense_pj = 1, t.synop_sparse_pj = 2, t.synop_conv_pj = 3, t.word_read_pj = 4, t.update_active_pj = 5;
  t.update_inactive_pj = 6, t.spike_pj = 7, t.message_out_pj = 8, t.message_in_pj = 9;
  t.hop_ew_pj = 10, t.hop_ns_pj = 11, t.chip_link_pj = 12, t.tile_pj = 13, t.management_cycle_pj = 14;
  ChipCounters c;
  c.cores = {numbered<CoreCounters>(1)};
  c.routers = {numbered<RouterCounters>(2)};
  c.hosted = true;
  c.management = numbered<ManagementCounters>(3);
  c.cycles = 1000, c.clock_mhz = 100;
  const EnergyReport e = price_energy(c, t);
  EXPECT_TRUE(e.unpriced.empty());
  std::vector<std::string> core, router;
  CoreCounters::fields([&](const CounterField& f, uint64_t CoreCounters::*) {
    if (f.energy_event) core.push_back(std::string("core.") + f.energy_event);
  });
  RouterCounters::fields([&](const CounterField& f, uint64_t RouterCounters::*) {
    if (f.energy_event) router.push_back(std::string("router.") + f.energy_event);
  });
  std::vector<std::string> core_got, router_got;
  for (const auto& ev : e.core_events) core_got.push_back(ev.first);
  for (const auto& ev : e.router_events) router_got.push_back(ev.first);
  EXPECT_EQ(core_got, core);
  EXPECT_EQ(router_got, router);
  EXPECT_EQ(core, (std::vector<std::string>{"core.synop_dense", "core.synop_sparse", "core.synop_conv",
                                            "core.word_read", "core.update_active", "core.update_inactive",
                                            "core.spike", "core.message_out", "core.message_in"}));
  EXPECT_EQ(router, (std::vector<std::string>{"router.hop_ew", "router.hop_ns", "router.chip_link", "router.tile"}));
  EXPECT_DOUBLE_EQ(e.management_j, double(c.management.busy_cycles) * 14 * 1e-12);
  // Unpriced: every event that happened is named.
  const EnergyReport none = price_energy(c, EnergyTable{});
  EXPECT_EQ(none.unpriced.size(), core.size() + router.size() + 1);
  EXPECT_EQ(none.unpriced.back(), "management.cycle");
}

TEST(Counters, TheSnapshotOfARunChipAddsUpToItsTotals) {
  const Network net = make_random_network(RandomNetworkParams{});
  const ChipParams p = mesh_2x2_chip(48);
  const Stimulus stim = make_random_stimulus(net, 5, 7, 0.5);
  ChipRun run(net, p, stim, 5);
  ASSERT_TRUE(run.chip->completed());
  const Chip& chip = *run.chip;
  const ChipSnapshot s = snapshot(chip);
  ASSERT_EQ(s.cores.size(), chip.core_count());
  ASSERT_EQ(s.routers.size(), chip.noc_const().routers().size());
  EXPECT_FALSE(s.hosted);
  for (uint32_t i = 0; i < chip.core_count(); ++i) EXPECT_EQ(values_of(s.cores[i]), values_of(chip.core(i).counters()));
  for (size_t r = 0; r < s.routers.size(); ++r)
    EXPECT_EQ(values_of(s.routers[r]), values_of(chip.noc_const().routers()[r]->counters()));
  const CoreCounters cores = s.core_total();
  const RouterCounters routers = s.router_total();
  EXPECT_EQ(cores.synops(), chip.result().synaptic_events);
  EXPECT_EQ(cores.spikes, chip.result().spike_count);
  EXPECT_GT(cores.messages_out, 0u);
  EXPECT_EQ(routers.injected, cores.messages_out);
  EXPECT_EQ(routers.ejected, cores.messages_in);
  EXPECT_EQ(routers.flits, routers.hops() + routers.ejected);
  uint64_t peak = 0;
  for (const auto& r : s.routers) peak = std::max(peak, r.peak_buffer_flits);
  EXPECT_EQ(routers.peak_buffer_flits, peak);
  // The run's report reads the same walk, with the components' names in the same order.
  const ChipCounters c = collect_counters(chip, p);
  const ChipComponentNames names = component_names(chip);
  EXPECT_EQ(c.core_names, names.cores);
  EXPECT_EQ(c.router_names, names.routers);
  EXPECT_EQ(c.core_names.front(), "chip.core_0");
  EXPECT_EQ(values_of(c.core_total()), values_of(cores));
  EXPECT_EQ(values_of(c.router_total()), values_of(routers));
  // An interval from the start is the whole run; from itself, nothing (peaks stay).
  ChipSnapshot none = s;
  none -= s;
  for (const auto& x : none.cores) EXPECT_EQ(x.synops() + x.spikes + x.busy_cycles, 0u);
  EXPECT_EQ(none.router_total().flits, 0u);
  EXPECT_EQ(none.router_total().peak_buffer_flits, peak);
}

TEST(Counters, PowerGatedCoresDrawNoStaticPower) {
  EnergyTable t;
  t.core_static_mw = 2.0, t.router_static_mw = 0.5;
  ChipCounters c;
  c.cores.resize(3);
  c.routers.resize(2);
  c.cycles = 1000, c.clock_mhz = 100;  // 10 us
  const double core_static = 2.0e-3 * 10e-6, router_static = 0.5e-3 * 10e-6;
  const EnergyReport all = price_energy(c, t);
  EXPECT_DOUBLE_EQ(all.core_static_j, 3 * core_static);
  c.core_gated = {false, true, false};
  const EnergyReport gated = price_energy(c, t);
  EXPECT_DOUBLE_EQ(gated.core_static_j, 2 * core_static);
  EXPECT_DOUBLE_EQ(gated.router_static_j, 2 * router_static);  // routers still forward traffic: not gated
  EXPECT_DOUBLE_EQ(gated.static_j, 2 * core_static + 2 * router_static);
  EXPECT_EQ(gated.per_core_j, (std::vector<double>{core_static, 0.0, core_static}));
}

TEST(Counters, PowerGatingMarksExactlyTheCoresWithNothingMapped) {
  // line_network(6) on the 4 x 3 line chip: cores 0..6 hold a compartment, 7..11 nothing.
  ChipParams p = line_chip();
  p.power_gating = true;
  const ChipRunOutput run = run_chip(line_network(6), p, one_input_spike(), 1, 0);
  ASSERT_TRUE(run.completed);
  std::vector<bool> want(12, false);
  for (uint32_t k = 7; k < 12; ++k) want[k] = true;
  EXPECT_EQ(run.counters.core_gated, want);
}
