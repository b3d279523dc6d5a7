// Critical-path attribution (model/critical_path.h) on hand-built cases: every timestep's phases add up to
// its cycles exactly, and each phase holds the cycles the hand-computed chain predicts.
// Latencies (model/chip_params.h defaults): inject 2, east-west hop 8, north-south hop 13, eject 2,
// chip link 200, axon_out 10, axon_in 32, synop 7, inactive update 11, active update 17, management message 2,
// DDIM update 8 per element, barrier 226 + 2 x path x (link + 26).
#include <gtest/gtest.h>

#include <memory>

#include "../line_network.h"
#include "chip.h"
#include "mapping.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

uint64_t sum_of_phases(const StepAttribution& a) {
  uint64_t t = 0;
  StepAttribution::phases([&](const char*, uint64_t StepAttribution::*m) { t += a.*m; });
  return t;
}

}  // namespace

// The line network (tests/line_network.h): one spike from core 0 to core 10 = router (2, 2).
TEST(CriticalPath, LineNetworkStepIsSweepOutputMeshDendriteAndBarrier) {
  const LineCase c(10);
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 3);
  sc_core::sc_start();
  ASSERT_TRUE(chip.completed());
  const auto& at = chip.step_attribution();
  ASSERT_EQ(at.size(), 3u);
  for (size_t t = 0; t < at.size(); ++t) {
    EXPECT_EQ(sum_of_phases(at[t]), chip.step_cycles()[t]) << "timestep " << t;
    EXPECT_EQ(at[t].total(), chip.step_cycles()[t]) << "timestep " << t;
  }
  // Step 0: the input compartment spikes at cycle 0 (no update); the output stage sends its message by 10;
  // inject 2 + 2 east-west x 8 + 2 north-south x 13 + eject 2 = 46 cycles of mesh, no stall; core 10's
  // dendrite serves it for 32 + 7 = 39 cycles; then the barrier's 586.
  const StepAttribution& s0 = at[0];
  EXPECT_EQ(s0.bounding_core, 10u);
  EXPECT_EQ(s0.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(s0.source_core, 0u);
  EXPECT_EQ(s0.sweep, 0u);
  EXPECT_EQ(s0.output, 10u);
  EXPECT_EQ(s0.mesh, 46u);
  EXPECT_EQ(s0.output_queue, 0u);
  EXPECT_EQ(s0.chip_link, 0u);
  EXPECT_EQ(s0.router_stall, 0u);
  EXPECT_EQ(s0.dendrite, 39u);
  EXPECT_EQ(s0.barrier, 586u);
  EXPECT_EQ(s0.management_compute + s0.management_write + s0.management_read, 0u);
  // Step 1: no message; core 10's active update (17 cycles) outlasts the others' inactive ones (11).
  const StepAttribution& s1 = at[1];
  EXPECT_EQ(s1.bounding_core, 10u);
  EXPECT_EQ(s1.unit, BoundingUnit::Sweep);
  EXPECT_EQ(s1.sweep, 17u);
  EXPECT_EQ(s1.output + s1.mesh + s1.router_stall + s1.dendrite, 0u);
  EXPECT_EQ(s1.barrier, 586u);
}

// The same line on two chips of 2 x 3 routers: core 10 is router (2, 2) of the mesh, on the second chip,
// so the message crosses one chip-to-chip link (200 cycles) between routers (1, 0) and (2, 0).
TEST(CriticalPath, AChipCrossingMessageChargesTheChipLinkApart) {
  const LineCase c(10, [](ChipParams& q) { q.mesh = {2, 1, 2, 3, 1}; });
  const auto& [net, p, prog, stim] = c;
  Chip chip("chip", net, prog, p, stim, 1);
  sc_core::sc_start();
  ASSERT_EQ(chip.step_attribution().size(), 1u);
  const StepAttribution& s = chip.step_attribution()[0];
  EXPECT_EQ(s.bounding_core, 10u);
  EXPECT_EQ(s.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(s.chip_link, 200u);
  EXPECT_EQ(s.mesh, 2u + 8 + 2 * 13 + 2);  // inject, the on-chip east-west hop, two north-south hops, eject
  EXPECT_EQ(s.output_queue, 0u);
  EXPECT_EQ(s.router_stall, 0u);
  EXPECT_EQ(s.output, 10u);
  EXPECT_EQ(s.dendrite, 39u);
  EXPECT_EQ(s.barrier, chip.barrier_cycles());
  EXPECT_EQ(s.total(), chip.step_cycles()[0]);
  EXPECT_EQ(chip.step_cycles()[0], 10u + 238 + 39 + chip.barrier_cycles());
}

// Two spikes of one input core to one target core, two routers east: their messages leave the output stage
// at 10 and 20, so the second arrives while the dendrite still serves the first: the busy period began with
// the first message, which bounds the chain; the second message's wait in the input FIFO is dendrite time.
TEST(CriticalPath, QueuedMessagesCountAsTheBusyDendriteNotAsFifoWait) {
  Network net;
  Population in;
  in.name = "in";
  in.shape = {2};
  in.kind = NeuronKind::Input;
  net.populations.push_back(in);
  Population f;
  f.name = "filler";
  f.shape = {2};
  net.populations.push_back(f);
  Population t;
  t.name = "target";
  t.shape = {2};
  t.params[0].vth_mant = 1000;
  net.populations.push_back(t);
  Projection pr;
  pr.source = 0;
  pr.target = 2;
  pr.encoding = Encoding::OneToOne;
  pr.weights = {100};
  net.projections.push_back(pr);
  ChipParams p;
  p.mesh = {1, 1, 3, 1, 1};
  p.core.compartments = 2;
  const ChipProgram prog = map_network(net, p);
  Stimulus stim;
  stim.inputs.push_back({0, 1, {1, 1}});
  Chip chip("chip", net, prog, p, stim, 1);
  sc_core::sc_start();
  ASSERT_EQ(chip.step_attribution().size(), 1u);
  const StepAttribution& s = chip.step_attribution()[0];
  // Message 0 leaves at 10 and arrives at 10 + 2 + 2 x 8 + 2 = 30; message 1 at 40, while the first is served
  // until 69; the second is served 69 to 108.
  EXPECT_EQ(s.bounding_core, 2u);
  EXPECT_EQ(s.source_core, 0u);
  EXPECT_EQ(s.sweep, 0u);
  EXPECT_EQ(s.output, 10u);
  EXPECT_EQ(s.mesh, 20u);
  EXPECT_EQ(s.output_queue, 0u);
  EXPECT_EQ(s.dendrite, 2u * 39);
  EXPECT_EQ(s.total(), chip.step_cycles()[0]);
  EXPECT_EQ(chip.step_cycles()[0], 108u + chip.barrier_cycles());
}
