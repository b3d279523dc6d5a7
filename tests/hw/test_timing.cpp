// Timing pinned by boundary pairs: a message across k hops arrives at exactly the hand-computed cycle
// (so not one before); contention and a full buffer add exactly the predicted delay; a whole chip's
// timestep lasts exactly sweep + message + dendrite + barrier cycles; the watchdog names what is stuck.
// Latencies (model/chip_params.h defaults, 2 GHz): inject 2, east-west hop 8, north-south hop 13, eject 2,
// axon_out 10, axon_in 32, synop 7, inactive update 11, active update 17, barrier 226 + 2 x path.
#include <gtest/gtest.h>

#include <memory>

#include "../line_network.h"
#include "chip.h"
#include "mapping.h"
#include "noc.h"
#include "testbench.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// Injects given flits into given local ports at given cycles (a stand-in for cores).
class Injector : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Injector);
  struct Shot {
    uint64_t cycle;
    uint32_t src_core;
    uint32_t dst_core;
  };
  Injector(sc_core::sc_module_name name, Noc& noc, std::vector<Shot> shots)
      : sc_module(name), noc_(noc), shots_(std::move(shots)) {
    SC_METHOD(run);
  }

 private:
  void run() {
    const uint64_t now = current_cycle();
    const MeshGeometry& g = noc_.geometry();
    while (next_ < shots_.size() && shots_[next_].cycle == now) {
      const Shot& s = shots_[next_++];
      const auto src = g.place(s.src_core), dst = g.place(s.dst_core);
      Flit f;
      f.src_core = s.src_core;
      f.id = next_;
      f.emitted_cycle = now;
      f.dest_x = static_cast<uint16_t>(dst.x);
      f.dest_y = static_cast<uint16_t>(dst.y);
      f.dest_local = static_cast<uint16_t>(dst.local);
      noc_.router(src.x, src.y).inject(src.local, f, now + RouterParams{}.inject_cycles);
    }
    if (next_ < shots_.size()) next_trigger(cycles_to_time(shots_[next_].cycle - now));
  }
  Noc& noc_;
  std::vector<Shot> shots_;
  size_t next_ = 0;
};

struct Mesh {
  Noc noc;
  std::vector<std::unique_ptr<Sink>> sinks;
  Mesh(const MeshGeometry& g, uint32_t sink_capacity, uint32_t hold) : noc("noc", g, RouterParams{}) {
    for (uint32_t c = 0; c < g.cores(); ++c) {
      sinks.push_back(std::make_unique<Sink>(sink_capacity, hold, 0, c));
      sinks.back()->connect(noc.attach(c, sinks.back().get(), sink_capacity));
    }
  }
};

}  // namespace

TEST(MeshTiming, MessageAcrossFiveHopsArrivesAtExactlyTheHandComputedCycle) {
  const MeshGeometry g{1, 1, 8, 4, 4};
  Mesh m(g, 16, 0);
  const uint32_t src = g.core_at(0, 0, 0), dst = g.core_at(3, 2, 1);
  Injector inj("inj", m.noc, {{100, src, dst}});
  sc_core::sc_start();
  ASSERT_EQ(m.sinks[dst]->arrivals.size(), 1u);
  // 100 + inject 2 + 3 east-west hops x 8 + 2 north-south hops x 13 + eject 2 = 154.
  EXPECT_EQ(m.sinks[dst]->arrivals[0].cycle, 154u);
  EXPECT_NE(m.sinks[dst]->arrivals[0].cycle, 153u);
  EXPECT_EQ(m.noc.router(0, 0).counters().hops_ew, 1u);
  EXPECT_EQ(m.noc.router(3, 1).counters().hops_ns, 1u);
  EXPECT_EQ(m.noc.router(3, 2).counters().ejected, 1u);
}

TEST(MeshTiming, WithinATileAMessageTakesInjectPlusEject) {
  const MeshGeometry g{1, 1, 2, 2, 4};
  Mesh m(g, 16, 0);
  Injector inj("inj", m.noc, {{50, g.core_at(1, 1, 0), g.core_at(1, 1, 3)}});
  sc_core::sc_start();
  ASSERT_EQ(m.sinks[g.core_at(1, 1, 3)]->arrivals.size(), 1u);
  EXPECT_EQ(m.sinks[g.core_at(1, 1, 3)]->arrivals[0].cycle, 54u);  // 2.1 ns within-tile ~ 4 cycles
}

TEST(MeshTiming, AChipCrossingLinkAddsItsOwnLatency) {
  const MeshGeometry g{2, 1, 2, 1, 1};  // routers 0,1 on chip 0; 2,3 on chip 1
  Mesh m(g, 16, 0);
  Injector inj("inj", m.noc, {{0, 0, 3}});
  sc_core::sc_start();
  ASSERT_EQ(m.sinks[3]->arrivals.size(), 1u);
  EXPECT_EQ(m.sinks[3]->arrivals[0].cycle, 2u + 8 + 200 + 8 + 2);
  EXPECT_EQ(m.noc.router(1, 0).counters().hops_chip, 1u);
  EXPECT_EQ(m.noc.router(0, 0).counters().hops_ew, 1u);
}

TEST(MeshTiming, TwoMessagesForOneLinkInOneCycleSerialiseByExactlyOneCycle) {
  const MeshGeometry g{1, 1, 2, 1, 2};
  Mesh m(g, 16, 0);
  const uint32_t dst = g.core_at(1, 0, 0);
  Injector inj("inj", m.noc, {{100, g.core_at(0, 0, 0), dst}, {100, g.core_at(0, 0, 1), dst}});
  sc_core::sc_start();
  ASSERT_EQ(m.sinks[dst]->arrivals.size(), 2u);
  // Uncontended: 100 + 2 + 8 + 2 = 112; the loser of the east link leaves one cycle later.
  EXPECT_EQ(m.sinks[dst]->arrivals[0].cycle, 112u);
  EXPECT_EQ(m.sinks[dst]->arrivals[1].cycle, 113u);
  EXPECT_EQ(m.noc.router(0, 0).counters().stall_cycles, 1u);
  EXPECT_EQ(m.noc.router(1, 0).counters().stall_cycles, 0u);
}

TEST(MeshTiming, AFullReceiverStallsTheSenderUntilItsSlotIsCreditedBack) {
  const MeshGeometry g{1, 1, 1, 1, 4};
  Mesh m(g, 1, 50);  // one slot; each message is held 50 cycles
  Injector inj("inj", m.noc, {{100, 0, 1}, {100, 2, 1}});
  sc_core::sc_start();
  ASSERT_EQ(m.sinks[1]->arrivals.size(), 2u);
  // First: eligible 102, granted 102, arrives 104, consumed 154, slot usable again at 155.
  EXPECT_EQ(m.sinks[1]->arrivals[0].cycle, 104u);
  EXPECT_EQ(m.sinks[1]->consumed_at[0], 154u);
  // Second: granted at 155 exactly, arrives 157; it waited 155 - 102 = 53 stall cycles.
  EXPECT_EQ(m.sinks[1]->arrivals[1].cycle, 157u);
  EXPECT_EQ(m.noc.router(0, 0).counters().stall_cycles, 53u);
}

TEST(ChipTiming, TimestepIsSweepMessageDendriteAndBarrierToTheCycle) {
  const LineCase c(10);  // target on core 10 = router (2, 2)
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 3);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  // Barrier of a 4 x 3 mesh: 226 + 2 x (3 x (8 + 26) + 2 x (13 + 26)) = 586.
  EXPECT_EQ(chip.barrier_cycles(), 586u);
  // Step 0: the input compartment costs no update; its message leaves the output stage at 10, enters
  // the mesh at 12, crosses 2 east-west and 2 north-south hops, is ejected at 12 + 16 + 26 + 2 = 56,
  // and is served by the dendrite from 56 for 32 + 1 x 7 cycles: done at 95. Every other core sweeps one
  // inactive compartment (11). So step 0 lasts 95 + 586 = 681 cycles.
  // Step 1: the target integrates its input (an active update, 17 cycles): 17 + 586 = 603.
  // Step 2: the target's state is not at rest yet (v > 0): still active: 603.
  ASSERT_EQ(chip.step_cycles().size(), 3u);
  EXPECT_EQ(chip.step_cycles()[0], 681u);
  EXPECT_EQ(chip.step_cycles()[1], 603u);
  EXPECT_EQ(chip.step_cycles()[2], 603u);
  EXPECT_EQ(chip.end_cycle(), 681u + 603 + 603);
  const CoreCounters& t = chip.core(10).counters();
  EXPECT_EQ(t.messages_in, 1u);
  EXPECT_EQ(t.synops_dense, 1u);
  EXPECT_EQ(t.words_read, 1u);
  EXPECT_EQ(t.dendrite_cycles, 39u);
  EXPECT_EQ(t.updates_active, 2u);
  EXPECT_EQ(t.updates_inactive, 1u);
  EXPECT_EQ(chip.core(0).counters().messages_out, 1u);
  EXPECT_EQ(chip.core(0).counters().spikes, 1u);
}

// The same case with the target's periodic reset due at steps 0 and 2 (interval 2): the reset costs the
// sweep no cycle, it only zeroes the state the update reads. Step 0 and step 1 are as above (681, 603: at step
// 0 the target is at rest anyway); at step 2 the reset target has no input and no bias, so its update is an
// inactive one: 11 + 586 = 597 cycles instead of 603, and not one more.
TEST(ChipTiming, APeriodicResetCostsNoCycleAndLeavesAResetCompartmentAtRest) {
  LineCase c(10);
  const int target = c.net.find("target");
  ASSERT_GE(target, 0);
  c.net.populations[target].reset_interval = 2;
  Chip chip("chip", c.net, c.program, c.chip, c.stimulus, 3);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  ASSERT_EQ(chip.step_cycles().size(), 3u);
  EXPECT_EQ(chip.step_cycles()[0], 681u);
  EXPECT_EQ(chip.step_cycles()[1], 603u);
  EXPECT_EQ(chip.step_cycles()[2], 597u);
  EXPECT_EQ(chip.core(10).counters().updates_active, 1u);
  EXPECT_EQ(chip.core(10).counters().updates_inactive, 2u);
}

TEST(ChipTiming, OneMoreNorthSouthHopAddsExactlyHopNsCycles) {
  const LineCase c(6);  // target on core 6 = router (2, 1): one north-south hop fewer
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 1);
  sc_core::sc_start();
  ASSERT_EQ(chip.step_cycles().size(), 1u);
  EXPECT_EQ(chip.step_cycles()[0], 681u - 13);
}

TEST(ChipTiming, WatchdogStopsAStuckRunAndNamesTheRoutersAndCores) {
  const LineCase c(1, [](ChipParams& q) { q.watchdog_cycles = 5000; });  // target on core 1 = router (1, 0)
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 2);
  // Fault: the target core's input FIFO never frees a slot (its credits are gone), so the message stalls.
  CreditCounter& eject = chip.noc().router(1, 0).output_credit_counter(kPortLocal0);
  while (eject.available(0)) eject.consume();
  sc_core::sc_start();
  EXPECT_FALSE(chip.completed());
  ASSERT_TRUE(chip.deadlocked());
  const std::string& r = chip.deadlock_report();
  EXPECT_NE(r.find("deadlock at cycle"), std::string::npos) << r;
  EXPECT_NE(r.find("1 message(s) in flight"), std::string::npos) << r;
  EXPECT_NE(r.find("chip.noc.router_1_0: west holds 1 flit(s), head to local"), std::string::npos) << r;
  EXPECT_NE(r.find("chip.core_1: input FIFO full"), std::string::npos) << r;
  // The message was granted onto the east link at 12 and reached router (1, 0) at 20; from then on nothing
  // moves: the watchdog fires 5000 cycles after the last grant.
  EXPECT_EQ(chip.end_cycle(), 12u + 5000);
}
