// Waveform traces (hw/tracer.h): a small VCD parser reads back what the chip wrote; the expected signals are
// declared and the events of a hand-predicted timestep appear at the cycles docs/architecture.md's timing
// contracts give; patterns and the window select; the size cap refuses before the run and says how to
// narrow; the size bound holds and the per-timestep counters add up to the run's totals.
#include <gtest/gtest.h>

#include <systemc>

#include <map>
#include <sstream>

#include "../line_network.h"
#include "chip.h"
#include "chip_harness.h"
#include "error.h"
#include "mapping.h"
#include "random_network.h"
#include "tracer.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// A VCD read back: every declared signal by its dotted hierarchical name, with its value changes.
struct Vcd {
  std::map<std::string, std::string> width;                                  // name -> declared width
  std::map<std::string, std::vector<std::pair<uint64_t, int64_t>>> changes;  // name -> (time, value)

  explicit Vcd(const std::string& text) {
    std::istringstream is(text);
    std::vector<std::string> scope;
    std::map<std::string, std::vector<std::string>> names_of;  // id -> names
    std::string tok;
    uint64_t time = 0;
    bool body = false;
    while (is >> tok) {
      if (!body) {
        if (tok == "$scope") {
          std::string kind, name;
          is >> kind >> name >> tok;
          scope.push_back(name);
        } else if (tok == "$upscope") {
          is >> tok;
          scope.pop_back();
        } else if (tok == "$var") {
          std::string type, w, id, name;
          is >> type >> w >> id >> name >> tok;
          std::string full;
          for (const auto& s : scope) full += s + ".";
          full += name;
          width[full] = w;
          names_of[id].push_back(full);
        } else if (tok == "$enddefinitions") {
          is >> tok;
          body = true;
        }
        continue;
      }
      if (tok[0] == '#') {
        time = std::stoull(tok.substr(1));
      } else if (tok == "$dumpvars" || tok == "$end") {
        continue;
      } else if (tok[0] == 'b') {
        std::string id;
        is >> id;
        int64_t v = static_cast<int64_t>(std::stoull(tok.substr(1), nullptr, 2));
        if (tok.size() == 33 && tok[1] == '1') v -= int64_t{1} << 32;  // 32-bit two's complement
        for (const auto& n : names_of.at(id)) changes[n].push_back({time, v});
      } else {
        for (const auto& n : names_of.at(tok.substr(1))) changes[n].push_back({time, tok[0] == '1'});
      }
    }
  }
  bool declared(const std::string& n) const { return width.count(n) > 0; }
  // The value at the end of cycle t.
  int64_t at(const std::string& n, uint64_t t) const {
    int64_t v = 0;
    for (const auto& [time, value] : changes.at(n))
      if (time <= t) v = value;
    return v;
  }
};

// Input neuron on core 0 -> target on core 10 (router (2, 2) of a 4 x 3 mesh, one compartment per core);
// core 1 holds a neuron whose bias alone makes it fire at every update.
Network line_network() { return spikemesh::testing::line_network(10, true); }

std::string vcd_of(const Tracer& t) {
  std::ostringstream os;
  t.write_vcd(os);
  return os.str();
}

}  // namespace

TEST(Trace, VcdShowsOneTimestepAtTheCyclesOfTheTimingContracts) {
  const Network net = line_network();
  const ChipParams p = line_chip();
  const ChipProgram prog = map_network(net, p);
  const Stimulus stim = one_input_spike();
  TraceParams tp;
  tp.vcd = true, tp.max_vcd_bytes = 0;
  TraceSelection sel;
  sel.probes = {{10, 0}};
  sel.window_timesteps = 2;
  Tracer tracer(tp, sel);
  Chip chip("chip", net, prog, p, stim, 2);
  chip.attach_tracer(tracer);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  ASSERT_EQ(chip.result().spikes[1][0], 1) << "precondition: the biased neuron fires in timestep 0";
  const Vcd v(vcd_of(tracer));

  // Declared: the chip's, every core's, and every router port that has a link.
  for (const char* n :
       {"chip.timestep", "chip.barrier", "chip.core_10.probe_target_0.u", "chip.core_10.probe_target_0.v"})
    EXPECT_TRUE(v.declared(n)) << n;
  for (uint32_t c = 0; c < 12; ++c)
    for (const char* s : {"spike_out", "sweep_busy", "output_busy", "dendrite_busy", "input_fifo"})
      EXPECT_TRUE(v.declared("chip.core_" + std::to_string(c) + "." + s)) << c << " " << s;
  for (const char* n : {"in_E_occupancy", "out_E_busy", "in_S_occupancy", "in_L0_occupancy", "out_L0_busy"})
    EXPECT_TRUE(v.declared(std::string("chip.noc.router_0_0.") + n)) << n;
  EXPECT_FALSE(v.declared("chip.noc.router_0_0.in_N_occupancy")) << "no router north of (0, 0)";
  EXPECT_FALSE(v.declared("chip.noc.router_0_0.out_W_busy")) << "no router west of (0, 0)";
  EXPECT_FALSE(v.declared("chip.ddim_step")) << "stimulus mode has no DDIM step";
  EXPECT_EQ(v.width.at("chip.timestep"), "32");
  EXPECT_EQ(v.width.at("chip.core_0.spike_out"), "1");

  // The biased neuron is core 1's first compartment: its active update (17 cycles) ends at cycle 17, where
  // it spikes; a pulse of one cycle. Timestep 1 starts at 681 (pinned by ChipTiming): again at 681 + 17.
  EXPECT_EQ(v.at("chip.core_1.spike_out", 16), 0);
  EXPECT_EQ(v.at("chip.core_1.spike_out", 17), 1);
  EXPECT_EQ(v.at("chip.core_1.spike_out", 18), 0);
  EXPECT_EQ(v.at("chip.core_1.spike_out", 697), 0);
  EXPECT_EQ(v.at("chip.core_1.spike_out", 698), 1);
  EXPECT_EQ(v.at("chip.core_1.sweep_busy", 16), 1);
  EXPECT_EQ(v.at("chip.core_1.sweep_busy", 17), 0);

  // The input spike: at t0 = 0 (input compartments take no update); the output stage works 10 cycles; the
  // message enters router (0, 0)'s local port at 10 + inject 2 = 12, is granted east at once and leaves the
  // buffer (occupied for cycle 12 only); it crosses 2 east-west (8) and 2 north-south (13) hops and is
  // ejected (2) into core 10's input FIFO at 12 + 16 + 26 + 2 = 56, served from 56 for 32 + 7 = 39 cycles.
  EXPECT_EQ(v.at("chip.core_0.spike_out", 0), 1);
  EXPECT_EQ(v.at("chip.core_0.spike_out", 1), 0);
  EXPECT_EQ(v.at("chip.core_0.output_busy", 9), 1);
  EXPECT_EQ(v.at("chip.core_0.output_busy", 10), 0);
  EXPECT_EQ(v.at("chip.noc.router_0_0.in_L0_occupancy", 11), 0);
  EXPECT_EQ(v.at("chip.noc.router_0_0.in_L0_occupancy", 12), 1);
  EXPECT_EQ(v.at("chip.noc.router_0_0.in_L0_occupancy", 13), 0);
  EXPECT_EQ(v.at("chip.noc.router_0_0.out_E_busy", 12), 1);
  EXPECT_EQ(v.at("chip.noc.router_0_0.out_E_busy", 13), 0);
  EXPECT_EQ(v.at("chip.noc.router_1_0.in_W_occupancy", 19), 0);
  EXPECT_EQ(v.at("chip.noc.router_1_0.in_W_occupancy", 20), 1);  // 12 + 8
  EXPECT_EQ(v.at("chip.noc.router_2_2.out_L0_busy", 54), 1);     // 12 + 8 + 8 + 13 + 13
  EXPECT_EQ(v.at("chip.core_10.input_fifo", 55), 0);
  EXPECT_EQ(v.at("chip.core_10.input_fifo", 56), 1);
  EXPECT_EQ(v.at("chip.core_10.input_fifo", 57), 0);
  EXPECT_EQ(v.at("chip.core_10.dendrite_busy", 55), 0);
  EXPECT_EQ(v.at("chip.core_10.dendrite_busy", 56), 1);
  EXPECT_EQ(v.at("chip.core_10.dendrite_busy", 94), 1);
  EXPECT_EQ(v.at("chip.core_10.dendrite_busy", 95), 0);
  // Barrier: from 95 for 586 cycles; timestep 1 starts at 681.
  EXPECT_EQ(v.at("chip.barrier", 94), 0);
  EXPECT_EQ(v.at("chip.barrier", 95), 1);
  EXPECT_EQ(v.at("chip.barrier", 680), 1);
  EXPECT_EQ(v.at("chip.barrier", 681), 0);
  EXPECT_EQ(v.at("chip.timestep", 680), 0);
  EXPECT_EQ(v.at("chip.timestep", 681), 1);
  // The target integrates the message in timestep 1: u changes when its update ends (681 + 17).
  EXPECT_EQ(v.at("chip.core_10.probe_target_0.u", 697), 0);
  EXPECT_NE(v.at("chip.core_10.probe_target_0.u", 698), 0);
  ASSERT_EQ(tracer.probe_u().size(), 2u);
  EXPECT_EQ(tracer.probe_u()[1][0], v.at("chip.core_10.probe_target_0.u", 698));
  EXPECT_EQ(tracer.probe_v()[1][0], v.at("chip.core_10.probe_target_0.v", 698));
  // The bound on the file's size holds.
  EXPECT_LE(vcd_of(tracer).size(), tracer.estimated_vcd_bytes());
}

TEST(Trace, PatternsAndTheTimestepWindowSelect) {
  const Network net = line_network();
  const ChipParams p = line_chip();
  const ChipProgram prog = map_network(net, p);
  const Stimulus stim = one_input_spike();
  TraceParams tp;
  tp.vcd = true, tp.max_vcd_bytes = 0;
  TraceSelection sel;
  sel.patterns = {"chip.core_1.*", "chip.timestep"};
  tp.timestep_first = 1;
  tp.timestep_count = 1;
  sel.window_timesteps = 1;
  Tracer tracer(tp, sel);
  Chip chip("chip", net, prog, p, stim, 3);
  chip.attach_tracer(tracer);
  sc_core::sc_start();
  const Vcd v(vcd_of(tracer));
  EXPECT_EQ(v.width.size(), 6u);  // timestep + core_1's five
  EXPECT_TRUE(v.declared("chip.core_1.spike_out"));
  EXPECT_FALSE(v.declared("chip.core_0.spike_out"));
  EXPECT_FALSE(v.declared("chip.barrier"));
  const auto& spikes = v.changes.at("chip.core_1.spike_out");
  // Only timestep 1 (681..1284): the spikes at 17 (timestep 0) and 1284 + 17 (timestep 2) are not there.
  std::vector<std::pair<uint64_t, int64_t>> want{{681, 0}, {698, 1}, {699, 0}};
  EXPECT_EQ(spikes, want);
  // The per-timestep data covers every timestep; the raster only the window.
  EXPECT_EQ(tracer.steps().size(), 3u);
  EXPECT_EQ(chip.timestep_record().raster().size(), 1u);
}

TEST(Trace, RefusesAnOversizeTraceBeforeTheRunNamingTheCapAndHowToNarrow) {
  const Network net = line_network();
  const ChipParams p = line_chip();
  const ChipProgram prog = map_network(net, p);
  const Stimulus stim = one_input_spike();
  TraceParams tp;
  tp.vcd = true;
  tp.max_vcd_bytes = 1000;
  TraceSelection sel;
  sel.window_timesteps = 1000;
  Tracer tracer(tp, sel);
  Chip chip("chip", net, prog, p, stim, 1000);
  try {
    chip.attach_tracer(tracer);
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("trace.max_vcd_bytes = 1000"), std::string::npos) << m;
    EXPECT_NE(m.find("trace.signals"), std::string::npos) << m;
    EXPECT_NE(m.find("trace.timestep_count"), std::string::npos) << m;
    EXPECT_NE(m.find("over 1000 timesteps"), std::string::npos) << m;
  }
  EXPECT_EQ(chip.timesteps_done(), 0u);
}

TEST(Trace, OnARandomMeshRunTheBoundHoldsAndPerTimestepCountersAddUpToTheTotals) {
  const Network net = make_random_network(RandomNetworkParams{});
  const ChipParams p = mesh_2x2_chip(48);
  const ChipProgram prog = map_network(net, p);
  const Stimulus stim = make_random_stimulus(net, 6, 3, 0.5);
  TraceParams tp;
  tp.vcd = true, tp.max_vcd_bytes = 0;
  TraceSelection sel;
  sel.window_timesteps = 6;
  Tracer tracer(tp, sel);
  Chip chip("chip", net, prog, p, stim, 6);
  chip.attach_tracer(tracer);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  const std::string text = vcd_of(tracer);
  EXPECT_LE(text.size(), tracer.estimated_vcd_bytes());
  const Vcd v(text);
  ASSERT_EQ(chip.timestep_record().snapshots().size(), 6u);
  uint64_t flits = 0;
  for (uint32_t c = 0; c < chip.core_count(); ++c) {
    const CoreCounters& last = chip.timestep_record().snapshots().back().cores[c];
    EXPECT_EQ(last.spikes, chip.core(c).counters().spikes);
    EXPECT_EQ(last.synops(), chip.core(c).counters().synops());
    // The deepest input FIFO in the waveform is the core's peak counter.
    int64_t peak = 0;
    for (const auto& [t, val] : v.changes.at("chip.core_" + std::to_string(c) + ".input_fifo"))
      peak = std::max(peak, val);
    EXPECT_EQ(uint64_t(peak), chip.core(c).counters().peak_input_fifo) << "core " << c;
  }
  for (size_t r = 0; r < chip.noc().routers().size(); ++r)
    flits += chip.timestep_record().snapshots().back().routers[r].flits;
  uint64_t total = 0;
  for (const auto& r : chip.noc().routers()) total += r->counters().flits;
  EXPECT_EQ(flits, total);
  EXPECT_GT(total, 0u);
  // Every flit granted is one link-busy pulse: count rising edges of all out_*_busy wires... at least
  // one per cycle in which an output granted (pulses in consecutive cycles merge into one high stretch).
  uint64_t busy_high = 0;
  for (const auto& [name, ch] : v.changes)
    if (name.find(".out_") != std::string::npos)
      for (size_t k = 0; k < ch.size(); ++k)
        if (ch[k].second == 1) busy_high += (k + 1 < ch.size() ? ch[k + 1].first : ch[k].first + 1) - ch[k].first;
  EXPECT_EQ(busy_high, total) << "one busy cycle per granted flit";
}
