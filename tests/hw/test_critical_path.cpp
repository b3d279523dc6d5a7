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

namespace {

// Head-of-line blocking at a core's local port, and the input FIFO depth that removes it. On 2 x 1 routers of
// 2 cores of 8 compartments: core 0 (router (0, 0), L0) holds 4 input neurons; in0..in2 each send one message
// to core 1 (the same router's L1: `busy`, 1 neuron and 7 idle fillers), then in3 one message to core 2
// (router (1, 0): `idle`, 8 neurons, so its message costs 32 + 8 x 7 = 88 cycles). Core 1 serves a message in
// 32 + 7 = 39 cycles and frees its FIFO slot from the cycle after service starts.
struct HeadOfLineCase {
  Network net;
  ChipParams chip;
  ChipProgram program;
  Stimulus stimulus;
  explicit HeadOfLineCase(uint32_t input_fifo_depth) {
    auto add = [&](const std::string& name, uint32_t n, NeuronKind kind) {
      Population p;
      p.name = name;
      p.shape = {n};
      p.kind = kind;
      p.params[0].vth_mant = 1000;
      net.populations.push_back(p);
      return static_cast<uint32_t>(net.populations.size() - 1);
    };
    const uint32_t in = add("in", 4, NeuronKind::Input);
    add("filler0", 4, NeuronKind::Cuba);
    const uint32_t busy = add("busy", 1, NeuronKind::Cuba);
    add("filler1", 7, NeuronKind::Cuba);
    const uint32_t idle = add("idle", 8, NeuronKind::Cuba);
    Projection to_busy;
    to_busy.source = in;
    to_busy.target = busy;
    to_busy.encoding = Encoding::Sparse;
    to_busy.pre = {0, 1, 2};
    to_busy.post = {0, 0, 0};
    to_busy.weights = {10, 10, 10};
    net.projections.push_back(to_busy);
    Projection to_idle = to_busy;
    to_idle.target = idle;
    to_idle.pre.assign(8, 3);
    to_idle.post = {0, 1, 2, 3, 4, 5, 6, 7};
    to_idle.weights.assign(8, 10);
    net.projections.push_back(to_idle);
    chip.mesh = {1, 1, 2, 1, 2};
    chip.core.compartments = 8;
    chip.core.input_fifo_depth = input_fifo_depth;
    program = map_network(net, chip);
    stimulus.inputs.push_back({in, 1, {1, 1, 1, 1}});
  }
};

// Runs the case's one timestep and checks its chain: bounding core 2's dendrite (88 cycles), fed by core 0's
// message to it (output stage 40 cycles, mesh 2 + 8 + 2, no stall), after `output_queue` cycles in core 0's
// output queue; the compute ends at `compute_end`. Core 1's three services end at 131 either way.
void expect_head_of_line_step(uint32_t input_fifo_depth, uint64_t output_queue, uint64_t compute_end) {
  const HeadOfLineCase c(input_fifo_depth);
  Chip chip("chip", c.net, c.program, c.chip, c.stimulus, 1);
  sc_core::sc_start();
  ASSERT_EQ(chip.step_attribution().size(), 1u);
  const StepAttribution& s = chip.step_attribution()[0];
  EXPECT_EQ(s.bounding_core, 2u);
  EXPECT_EQ(s.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(s.source_core, 0u);
  EXPECT_EQ(s.sweep, 0u);
  EXPECT_EQ(s.output, 40u);
  EXPECT_EQ(s.output_queue, output_queue);
  EXPECT_EQ(s.mesh, 2u + 8 + 2);
  EXPECT_EQ(s.router_stall, 0u);
  EXPECT_EQ(s.dendrite, 88u);
  EXPECT_EQ(s.total(), chip.step_cycles()[0]);
  EXPECT_EQ(chip.step_cycles()[0], compute_end + chip.barrier_cycles());
  EXPECT_EQ(chip.core(1).dendrite_free(), 131u);
}

}  // namespace

// A 1-entry FIFO on core 1: message 0 arrives at 14 (output 10, inject 2, eject 2) and is served 14..53; message 1
// is granted at 22 and waits in the FIFO; message 2 finds no slot until message 1's service starts (53, credit
// at 54), so it holds the local port from 32 to 54, and the message to core 2 behind it, ready at 42
// (output stage 30..40, inject 2), is granted only at 55: 13 cycles of output queue. It reaches router (1, 0)
// at 55 + 8 (east-west hop), core 2 at 63 + 2 (eject) = 65, and is served 65..153: core 2 ends the step.
TEST(CriticalPath, AFullInputFifoHoldsTheMessageToAnIdleCoreInTheOutputQueue) { expect_head_of_line_step(1, 13, 153); }

// The same with 2 entries: message 2 is granted at 32 (message 0 left the FIFO at 15), so the message to core 2
// enters the router when it is ready, 42, arrives at 52 and is served 52..140: the 13 cycles are gone, and the
// step is 13 cycles shorter.
TEST(CriticalPath, ATwoEntryInputFifoLetsTheMessageToTheIdleCoreLeaveWhenReady) { expect_head_of_line_step(2, 0, 140); }
