// The chip profile's timing choices (model/chip_params.h; SANA-FE's cost model, docs/sources.md#profile-options)
// pinned to the cycle on hand-built networks: the soma's per-spike cost, the sweep waiting for the output
// stage, the barrier over the routers in use. Latencies as in test_timing.cpp (defaults, 2 GHz).
#include <gtest/gtest.h>

#include "../line_network.h"
#include "chip.h"
#include "mapping.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

// A burst: four compartments on core 0 (router (0, 0)) fire on their bias at every update (bias 100 > 64),
// each sending one message to a quiet neuron on core 1 (router (1, 0), one east-west hop).
Network burst_network() {
  Network net;
  Population src;
  src.name = "src";
  src.shape = {4};
  src.params[0].vth_mant = 1;
  src.params[0].bias_mant = 100;
  net.populations.push_back(src);
  Population dst;
  dst.name = "dst";
  dst.shape = {1};
  dst.params[0].vth_mant = 1000;
  net.populations.push_back(dst);
  Projection pr;
  pr.source = 0;
  pr.target = 1;
  pr.encoding = Encoding::Dense;
  pr.weights = {1, 1, 1, 1};
  net.projections.push_back(pr);
  return net;
}

ChipParams burst_chip() {
  ChipParams p;
  p.mesh = {1, 1, 2, 1, 1};
  p.core.compartments = 4;
  return p;
}

struct BurstStep {
  uint64_t step0 = 0, sweep0 = 0;
};

BurstStep run_burst(const ChipParams& p) {
  const Network net = burst_network();
  const ChipProgram prog = map_network(net, p);
  const Stimulus none;
  Chip chip("chip", net, prog, p, none, 1);
  sc_core::sc_start();
  EXPECT_TRUE(chip.completed());
  EXPECT_EQ(chip.core(0).counters().spikes, 4u);
  EXPECT_EQ(chip.core(1).counters().messages_in, 4u);
  return {chip.step_cycles().at(0), chip.core(0).counters().sweep_cycles};
}

// Barrier of the 2 x 1 mesh: 226 + 2 x (8 + 26) = 294. The message of spike k leaves the output stage at
// finish_k, is ejected at finish_k + inject 2 + hop 8 + eject 2 and costs the dendrite 32 + 7 = 39.

}  // namespace

TEST(ProfileOptions, DefaultOutputStageOverlapsTheSweep) {
  // Spikes at 17, 34, 51, 68 (active updates); messages 17-27, 34-44, 51-61, 68-78; ejected 39, 56, 73, 90;
  // dendrite 39-78, 78-117, 117-156, 156-195. Step 0: 195 + 294 = 489.
  const BurstStep s = run_burst(burst_chip());
  EXPECT_EQ(s.sweep0, 68u);
  EXPECT_EQ(s.step0, 489u);
}

TEST(ProfileOptions, SweepWaitingForOutputPutsEachSpikesMessagesInTheChain) {
  ChipParams p = burst_chip();
  p.core.sweep_waits_for_output = true;
  // Update 0-17, message 17-27; update 27-44, message 44-54; 54-71, 71-81; 81-98, 98-108: the sweep ends at
  // 108, not 68. Ejected 39, 66, 93, 120; the dendrite (39 cycles a message) still bounds the step:
  // 39-78, 78-117, 117-156, 156-195, so step 0 stays 489.
  const BurstStep s = run_burst(p);
  EXPECT_EQ(s.sweep0, 4u * (17 + 10));
  EXPECT_EQ(s.step0, 489u);
}

TEST(ProfileOptions, SpikeOutCyclesAreChargedInTheSweepPerFiredCompartment) {
  ChipParams p = burst_chip();
  p.core.spike_out_cycles = 60;  // SANA-FE's 30 ns
  // Each update 17 + spike out 60: spikes at 77, 154, 231, 308 = the sweep; messages 77-87, ..., 308-318;
  // the last ejected at 330 and served 330-369. Step 0: 369 + 294 = 663.
  const BurstStep s = run_burst(p);
  EXPECT_EQ(s.sweep0, 4u * (17 + 60));
  EXPECT_EQ(s.step0, 663u);
}

TEST(ProfileOptions, SpikeOutAndSweepWaitingMakeOneSerialChainPerCore) {
  ChipParams p = burst_chip();
  p.core.spike_out_cycles = 60;
  p.core.sweep_waits_for_output = true;
  // Per compartment: update 17, spike out 60, message 10 = 87; spikes at 77, 164, 251, 338, messages
  // finishing 87, 174, 261, 348 = the sweep's end; ejected 99, 186, 273, 360; the last served 360-399.
  // Step 0: 399 + 294 = 693, 30 cycles more than with the output stage in parallel (663).
  const BurstStep s = run_burst(p);
  EXPECT_EQ(s.sweep0, 4u * (17 + 60 + 10));
  EXPECT_EQ(s.step0, 693u);
}
TEST(ProfileOptions, BarrierOverUsedRoutersShortensTheStepByTheUnusedPath) {
  // line_network(6): cores 0..6 in use on the 4 x 3 line chip; the used routers span 4 x 2.
  const LineCase c(6, [](ChipParams& q) { q.barrier.used_routers_only = true; });
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 1);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  // 226 + 2 x (3 x (8 + 26) + 1 x (13 + 26)) = 508, not the whole mesh's 586.
  EXPECT_EQ(chip.barrier_cycles(), 508u);
  // The step without its barrier is 668 - 586 = 82 (ChipTiming.OneMoreNorthSouthHopAddsExactlyHopNsCycles).
  EXPECT_EQ(chip.step_cycles().at(0), 82u + 508);
}
