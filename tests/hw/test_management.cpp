// The management core's traffic crosses the mesh (hosted mode): reads, writes and bias writes take exactly
// the hand-computed cycles, carry the values the reference simulator computes, and the routers count them.
// Latencies (model/chip_params.h defaults, 2 GHz): management message 2, inject 2, east-west hop 8,
// north-south hop 13, eject 2, axon_in 32 (a core serving a management message), axon_out 10 (a read
// response), synop 7, active update 17, barrier 226 + 2 x path x (link + 26).
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <vector>

#include "chip.h"
#include "error.h"
#include "mapping.h"
#include "reference_sim.h"
#include "tracer.h"

using namespace spikemesh;

namespace {

// k graded inputs "in" -> one-to-one (weight 64) -> k readouts "out". One population sits on core 0 and the
// other on core `far_core` (the input when `input_far`), with idle k-neuron fillers on the cores between
// (k compartments per core, one core per router).
Network pair_network(uint32_t k, uint32_t far_core, bool input_far) {
  Population in;
  in.name = "in";
  in.shape = {k};
  in.kind = NeuronKind::Input;
  in.payload_bits = 16;
  in.payload_frac_bits = 8;
  Population out;
  out.name = "out";
  out.shape = {k};
  out.kind = NeuronKind::Readout;
  out.params[0].du = 4095;
  Network net;
  net.populations.push_back(input_far ? out : in);
  for (uint32_t c = 1; c < far_core; ++c) {
    Population f;
    f.name = "filler" + std::to_string(c);
    f.shape = {k};
    net.populations.push_back(f);
  }
  net.populations.push_back(input_far ? in : out);
  Projection pr;
  pr.source = input_far ? far_core : 0;
  pr.target = input_far ? 0 : far_core;
  pr.encoding = Encoding::OneToOne;
  pr.weights = {64};
  net.projections.push_back(pr);
  return net;
}

ChipParams pair_chip(uint32_t routers_x, uint32_t routers_y, uint32_t k) {
  ChipParams p;
  p.mesh = {1, 1, routers_x, routers_y, 1};
  p.core.compartments = k;
  p.core.graded_spikes = true;
  return p;
}

// The reference simulator's readout currents after the same calls.
std::vector<int32_t> reference_currents(const Network& net, uint32_t context,
                                        const std::vector<std::vector<int32_t>>& inputs) {
  ReferenceSimulator ref(net);
  ref.reset();
  ref.set_context(context);
  const uint32_t in = static_cast<uint32_t>(net.find("in")), out = static_cast<uint32_t>(net.find("out"));
  for (const auto& x : inputs) {
    ref.set_input(in, x.data());
    ref.step();
  }
  const int32_t* c = ref.currents(out);
  return std::vector<int32_t>(c, c + net.populations[out].size());
}

// The pair network mapped onto routers_x x routers_y routers (k compartments per core) and elaborated in
// hosted mode; step() is one sc_start() after asking the management core for inputs and a read.
struct HostedPair {
  Network net;
  ChipParams params;
  ChipProgram program;
  std::unique_ptr<Chip> chip;
  uint32_t in = 0, out = 0, k = 0;
  // `overlap`: chip.management.overlap_writes.
  HostedPair(Network n, uint32_t routers_x, uint32_t routers_y, bool overlap = false)
      : net(std::move(n)), params(pair_chip(routers_x, routers_y, 0)) {
    in = static_cast<uint32_t>(net.find("in"));
    out = static_cast<uint32_t>(net.find("out"));
    k = static_cast<uint32_t>(net.populations[in].size());
    params.core.compartments = k;
    params.management.overlap_writes = overlap;
    program = map_network(net, params);
    chip = std::make_unique<Chip>("chip", net, program, params);
  }
  // `reset`: a new network call with this bias context first. Empty `x`: no inputs.
  void step(const std::vector<int32_t>& x, bool read, int reset = -1) {
    if (reset >= 0) chip->host_reset(static_cast<uint32_t>(reset));
    if (!x.empty()) chip->host_set_input(in, x.data());
    if (read) chip->host_read(out);
    sc_core::sc_start();
  }
  std::vector<int32_t> currents() const {
    return std::vector<int32_t>(chip->host_currents(out), chip->host_currents(out) + k);
  }
  const Chip::HostedPhases& phases() const { return chip->hosted_phases(); }
};

const std::vector<int32_t> kX1 = {300, -200, 100}, kX2 = {-50, 400, 250}, kNone(3, 0);

}  // namespace

// 2 x 1 routers: inputs on core 0 (router (0, 0), with the management core on its port L1), readouts on
// core 1 (router (1, 0)). Timestep 1 writes inputs; timestep 2 writes inputs and reads the currents.
TEST(ManagementTiming, HostedTimestepIsWritesBarrierSpikesAndReadsToTheCycle) {
  HostedPair h(pair_network(3, 1, false), 2, 1);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  const uint64_t p1 = h.phases().pause;
  h.step(kX2, true);
  const Chip::HostedPhases& ph = h.phases();
  Chip& chip = *h.chip;
  EXPECT_EQ(ph.writes, p1);
  // Writes: write j leaves the management core at p1 + 2 (j + 1) (2 cycles each), enters the router 2
  // later, is ejected into core 0 (same router) 2 later: arrives p1 + 6 + 2j; core 0 serves each for
  // axon_in 32 back to back from p1 + 6: the phase is over at p1 + 6 + 32 k.
  EXPECT_EQ(ph.barrier - ph.writes, 6u + 32 * k);
  EXPECT_EQ(ph.sweep - ph.barrier, 226u + 2 * (8 + 26));
  // Spikes: input j's message leaves core 0's output stage at 10 (j + 1), reaches core 1 at 10 (j + 1) + 2
  // + 8 + 2; core 1 serves each for 32 + 7 back to back from 22: done at 22 + 39 k.
  EXPECT_EQ(ph.reads - ph.sweep, 22u + 39 * k);
  // Reads: the request leaves at +2, reaches core 1 at +2 + 2 + 8 + 2 = +14, is served until +46; response
  // j leaves core 1's output stage at +46 + 10 (j + 1) and arrives at +46 + 10 (j + 1) + 12; the last one
  // is taken by the management core (2 cycles) at +46 + 10 k + 12 + 2 = +60 + 10 k.
  EXPECT_EQ(ph.pause - ph.reads, 60u + 10 * k);
  EXPECT_EQ(ph.pause - p1, 382u + 81 * k);
  EXPECT_EQ(chip.step_cycles().back(), 382u + 81 * k);
  // The currents that arrived are the reference simulator's, and not trivial.
  const std::vector<int32_t> want = reference_currents(h.net, 0, {kX1, kX2});
  EXPECT_EQ(h.currents(), want);
  EXPECT_NE(want, kNone);
  const ManagementCounters& m = chip.management()->counters();
  EXPECT_EQ(m.resets, 2u);
  EXPECT_EQ(m.writes, 2u * k);
  EXPECT_EQ(m.read_requests, 1u);
  EXPECT_EQ(m.messages_out, 2u + 2 * k + 1);
  EXPECT_EQ(m.messages_in, k);
  EXPECT_EQ(m.message_cycles, 2u * (m.messages_out + m.messages_in));
  // The routers carried them: router (1, 0) ejected 2 k spikes, 1 reset and 1 read request into core 1
  // and sent k responses west.
  EXPECT_EQ(chip.noc().router(1, 0).counters().ejected, 2u * k + 2);
  EXPECT_EQ(chip.noc().router(1, 0).counters().hops_ew, k);
  EXPECT_EQ(chip.core(1).counters().messages_out, k);  // the read responses
}

// 4 x 3 routers: the readouts on core 10 = router (2, 2), two hops east and two south of the management core.
TEST(ManagementTiming, ReadOfKValuesFourHopsAwayCompletesAtTheHandComputedCycle) {
  HostedPair h(pair_network(3, 10, false), 4, 3);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  h.step({}, true);
  // Request: leaves at +2, enters at +4, 2 x 8 + 2 x 13 = 42 of links, ejected: +48; served 32: +80.
  // Response j: leaves core 10 at +80 + 10 (j + 1), + 2 + 42 + 2 back; the last is taken 2 later:
  // +80 + 10 k + 46 + 2 = +128 + 10 k.
  EXPECT_EQ(h.phases().pause - h.phases().reads, 128u + 10 * k);
  EXPECT_EQ(h.currents(), reference_currents(h.net, 0, {kX1, kNone}));
  EXPECT_EQ(h.chip->noc().router(2, 2).counters().hops_ew, k);  // the responses, westwards
  // Southwards out of router (2, 1): core 10's reset, the k spikes of timestep 1 and the read request.
  EXPECT_EQ(h.chip->noc().router(2, 1).counters().hops_ns, k + 2);
}

TEST(ManagementTiming, OneNorthSouthHopCloserSavesTwoHopNsOnARead) {
  HostedPair h(pair_network(3, 6, false), 4, 3);  // readouts on core 6 = router (2, 1)
  h.step(kX1, false, 0);
  h.step({}, true);
  EXPECT_EQ(h.phases().pause - h.phases().reads, 128u + 10 * h.k - 2 * 13);
}

// 4 x 3 routers: the inputs on core 10 = router (2, 2).
TEST(ManagementTiming, WriteOfMPayloadsFourHopsAwayArrivesAtTheHandComputedCycle) {
  HostedPair h(pair_network(3, 10, true), 4, 3);
  const uint32_t m = h.k;
  h.step(kX1, false, 0);
  h.step(kX2, false);
  // Write j leaves at +2 (j + 1), enters at +4 + 2j, 42 cycles of links, ejected: arrives +48 + 2j; core 10
  // serves them back to back (32 each) from +48: the last is done at +48 + 32 m.
  EXPECT_EQ(h.phases().barrier - h.phases().writes, 48u + 32 * m);
  h.step({}, true);
  EXPECT_EQ(h.currents(), reference_currents(h.net, 0, {kX1, kX2, kNone}));
}

// A bias table switches with the context: the management core writes only the registers that change.
TEST(ManagementTiming, ContextSwitchWritesOnlyTheBiasRegistersThatChange) {
  Network net = pair_network(3, 1, false);
  Population& out = net.populations[1];
  out.bias_contexts = 2;
  out.bias_phases = 1;
  out.bias_columns = 3;
  out.bias_table = {5, 7, 9, 5, 8, 9};  // context 0, context 1: only column 1 differs
  HostedPair h(net, 2, 1);
  h.step(kX1, true, 0);
  EXPECT_EQ(h.chip->management()->counters().bias_writes, 3u);
  EXPECT_EQ(h.currents(), reference_currents(h.net, 0, {kX1}));
  h.step(kX1, true, 1);
  EXPECT_EQ(h.chip->management()->counters().bias_writes, 4u);
  EXPECT_EQ(h.chip->management()->counters().resets, 4u);
  EXPECT_EQ(h.currents(), reference_currents(h.net, 1, {kX1}));
  // Write phase of the second call: 2 resets, 1 bias write to core 1 (one hop east), 3 input writes to
  // core 0. Message j leaves at +2 (j + 1); core 1's reset and bias write arrive at +4 + 2j + 8 + 2 (j = 1,
  // 2: +16, +18) and are served until +16 + 64 = +80; core 0's reset at +6, its writes at +12, +14, +16,
  // served back to back from +6: until +6 + 4 x 32 = +134.
  EXPECT_EQ(h.phases().barrier - h.phases().writes, 134u);
}

TEST(ManagementTiming, AManagementRouterOutsideTheMeshIsAnErrorNamingTheKey) {
  const Network net = pair_network(3, 1, false);
  ChipParams p = pair_chip(2, 1, 3);
  p.management.router_x = 2;
  const ChipProgram prog = map_network(net, p);
  try {
    Chip chip("chip", net, prog, p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chip.management.router_x = 2: outside the mesh (routers x 0..1"),
              std::string::npos)
        << e.what();
  }
}

// The waveform shows the management core: its phase, its busy unit and its router port's flits.
TEST(ManagementTiming, TheVcdShowsTheManagementPhasesAndItsRouterPort) {
  HostedPair h(pair_network(3, 1, false), 2, 1);
  TraceParams tp;
  tp.vcd = true, tp.max_vcd_bytes = 0;
  Tracer tracer(tp, TraceSelection{});
  h.chip->attach_tracer(tracer);
  h.step(kX1, true, 0);
  std::ostringstream vcd;
  tracer.write_vcd(vcd);
  const std::string v = vcd.str();
  for (const char* name : {" phase $end", " busy $end", " input_fifo $end", " in_M_occupancy $end", " out_M_busy $end"})
    EXPECT_NE(v.find(name), std::string::npos) << name;
  // Value changes at the read phase's start and at the pause.
  EXPECT_NE(v.find("#" + std::to_string(h.phases().reads) + "\n"), std::string::npos);
  EXPECT_NE(v.find("#" + std::to_string(h.phases().pause) + "\n"), std::string::npos);
}

// The hosted timestep's attribution: the management core's DDIM update and writes, the barrier, the
// spikes' chain, the reads; the phases add up to the interval between two pauses.
TEST(ManagementTiming, HostedTimestepAttributionAddsUpToItsInterval) {
  HostedPair h(pair_network(3, 1, false), 2, 1);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  h.chip->host_compute(5);  // a DDIM update of 5 elements before the next writes: 5 x 8 cycles
  h.step(kX2, true);
  const auto& at = h.chip->step_attribution();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(at[0].total(), h.chip->step_cycles()[0]);
  const StepAttribution& s = at[1];
  EXPECT_EQ(s.total(), h.chip->step_cycles()[1]);
  EXPECT_EQ(s.management_compute, 40u);
  // The writes as in HostedTimestepIsWritesBarrierSpikesAndReadsToTheCycle, shifted by the compute.
  EXPECT_EQ(s.management_write, 6u + 32 * k);
  EXPECT_EQ(s.barrier, 226u + 2 * (8 + 26));
  // Input 0's message leaves core 0's output stage at 10 after the sweep's start and reaches core 1 after
  // 2 + 8 + 2 cycles; core 1's dendrite is busy from then on with the k messages (39 cycles each).
  EXPECT_EQ(s.bounding_core, 1u);
  EXPECT_EQ(s.source_core, 0u);
  EXPECT_EQ(s.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(s.sweep, 0u);
  EXPECT_EQ(s.output, 10u);
  EXPECT_EQ(s.mesh, 12u);
  EXPECT_EQ(s.output_queue, 0u);
  EXPECT_EQ(s.router_stall, 0u);
  EXPECT_EQ(s.dendrite, 39u * k);
  EXPECT_EQ(s.management_read, 60u + 10 * k);
  EXPECT_EQ(h.chip->step_cycles()[1], 40u + 382 + 81 * k);
}

// chip.management.overlap_writes on the 2 x 1 pair: the second step's input writes do not depend on the
// first step, so they go from the sweep's start instead of before the barrier. They reach core 0 (the
// management core's router) at +6 + 2j and keep its dendrite busy until +6 + 32 k, while the spikes'
// chain (output 10, mesh 12, core 1's dendrite 39 k) still ends the compute at +22 + 39 k: the timestep
// is barrier 294 + spikes 22 + 39 k + reads 60 + 10 k, the 6 + 32 k cycles of writes hidden.
TEST(ManagementOverlap, IndependentWritesGoWhileTheTimestepComputes) {
  HostedPair h(pair_network(3, 1, false), 2, 1, true);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  // The first step follows a reset: its writes still go before the barrier, as without overlap.
  EXPECT_EQ(h.phases().barrier - h.phases().writes, 6u + 32 * (k + 1));  // core 0's reset, then its k writes
  const uint64_t p1 = h.phases().pause;
  h.step(kX2, true);
  const Chip::HostedPhases& ph = h.phases();
  EXPECT_EQ(ph.barrier, p1);  // no write phase: the barrier starts at the pause
  EXPECT_EQ(ph.sweep - ph.barrier, 226u + 2 * (8 + 26));
  EXPECT_EQ(ph.reads - ph.sweep, 22u + 39 * k);
  EXPECT_EQ(ph.pause - ph.reads, 60u + 10 * k);
  EXPECT_EQ(h.chip->step_cycles().back(), 376u + 49 * k);
  // The payloads still reach the sweep that needs them: the currents are the reference simulator's.
  EXPECT_EQ(h.currents(), reference_currents(h.net, 0, {kX1, kX2}));
  EXPECT_NE(h.currents(), kNone);
  // Every write still crosses the mesh and is served: 2 k writes, core 0 served 2 k writes + its reset.
  EXPECT_EQ(h.chip->management()->counters().writes, 2u * k);
  EXPECT_EQ(h.chip->core(0).counters().messages_in, 2u * k + 1);
  const StepAttribution& s = h.chip->step_attribution().back();
  EXPECT_EQ(s.total(), h.chip->step_cycles().back());
  EXPECT_EQ(s.management_write, 0u);
  EXPECT_EQ(s.bounding_core, 1u);
  EXPECT_EQ(s.source_core, 0u);
  EXPECT_EQ(s.output, 10u);
  EXPECT_EQ(s.mesh, 12u);
  EXPECT_EQ(s.dendrite, 39u * k);
}

// Overlapped writes that end the timestep: the inputs sit on core 10 = router (2, 2) of 4 x 3 routers and
// drive nothing, so the timestep's compute is the writes. Write j leaves the management core at +2 (j + 1),
// is 46 cycles of zero-load mesh away (inject 2, two east-west hops 16, two north-south hops 26, eject 2)
// and core 10 serves them back to back (32 each) from +48: the critical message is the first write, and
// the compute is management_write 2 + mesh 46 + dendrite 32 k.
TEST(ManagementOverlap, ACriticalWriteIsManagementWriteMeshAndDendrite) {
  Network net = pair_network(3, 10, true);
  net.projections.clear();
  HostedPair h(net, 4, 3, true);
  ASSERT_EQ(h.program.placement[h.in].at(0).core, 10u);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  h.step(kX2, false);
  const StepAttribution& s = h.chip->step_attribution().back();
  EXPECT_EQ(s.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(s.bounding_core, 10u);
  EXPECT_EQ(s.source_core, h.program.geometry.cores());  // the management core's id
  EXPECT_EQ(s.management_compute, 0u);
  EXPECT_EQ(s.management_write, 2u);
  EXPECT_EQ(s.mesh, 46u);
  EXPECT_EQ(s.chip_link + s.output_queue + s.router_stall + s.sweep + s.output, 0u);
  EXPECT_EQ(s.dendrite, 32u * k);
  EXPECT_EQ(s.barrier, h.chip->barrier_cycles());
  EXPECT_EQ(s.management_read, 0u);
  EXPECT_EQ(s.total(), h.chip->step_cycles().back());
  EXPECT_EQ(h.chip->step_cycles().back(), h.chip->barrier_cycles() + 48 + 32 * k);
}

// The same case without overlap: the write phase (48 + 32 k) before the barrier, then the compute, a sweep
// of three inactive compartments per core (3 x 11 cycles).
TEST(ManagementOverlap, WithoutOverlapTheSameWritesPrecedeTheBarrier) {
  Network net = pair_network(3, 10, true);
  net.projections.clear();
  HostedPair h(net, 4, 3, false);
  const uint32_t k = h.k;
  h.step(kX1, false, 0);
  h.step(kX2, false);
  const StepAttribution& s = h.chip->step_attribution().back();
  EXPECT_EQ(s.management_write, 48u + 32 * k);
  EXPECT_EQ(s.unit, BoundingUnit::Sweep);
  EXPECT_EQ(s.sweep, 33u);
  EXPECT_EQ(h.chip->step_cycles().back(), h.chip->barrier_cycles() + 48 + 32 * k + 33);
}
