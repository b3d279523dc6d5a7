// The embedded management core of hosted mode (Loihi has x86 cores on the mesh for this, docs/sources.md#chip): a
// mesh node on its own local port of router (chip.management.router_x, router_y) that runs the FSDDIM
// loop's side of each SNN timestep through mesh messages (hw/flit.h MessageKind), after the timestep's
// spikes have drained (Lava's POST_MGMT phase: safe read/write of neuron state, docs/sources.md#phases):
//   read phase   one read request per (core, segment) holding the readout compartments the host reads
//                this timestep; each core answers with one read response per compartment (its current).
//                Over when the last response has been taken. currents() are the values that arrived.
//   (the chip pauses; the host's loop, model/ddim_sampler.h, takes the currents and computes)
//   write phase  first the DDIM update's compute (update_cycles per element, when the host computed one),
//                then the writes for the next timestep: a reset to every core holding compartments (a new
//                network call), a bias write for every bias register whose value changes for the next
//                timestep (a new context's time embedding, a population's bias start, its gating, or with
//                pipelined calls the call whose window the population enters: the
//                cores hold one register per bias-table column they cover, the management core keeps a copy
//                and sends only changes), and a write of every non-zero payload of the next input vector
//                (an input compartment's payload is cleared when it is emitted). Over when every write has
//                been served by its core; then the barrier starts the next timestep.
// Timing contract: one in-order unit serves, in the order it is booked: the compute; every message it sends
// (message_cycles, then into the router's local port inject_cycles later; the next when the router takes
// it, as a neurocore's output stage); every message it receives (message_cycles from max(arrival, unit
// free); its input FIFO of core.input_fifo_depth slots credits a slot back the cycle after service starts).
// With chip.management.overlap_writes, a write phase whose writes do not depend on the timestep just
// computed (writes_independent(): within a network call, no reset and no DDIM update to wait for) is sent
// while the next timestep computes instead of before its barrier. Assumption: the input compartment's
// payload register and the bias registers are double-buffered, written for timestep t + 1 while t runs and
// swapped when t + 1 begins. The host hands over t + 1's payloads only after t has paused, so the chip
// times the messages carrying t + 1's values during t + 1's compute (their values are in the registers when
// it begins, the messages are timing-only): counts, routes and contention exact, shifted by one timestep
// within the call. What stays before the barrier: a new call's resets, bias writes and first payloads, after
// the DDIM update that follows the last read.
// Left out: the x86 core's instruction timing (message_cycles and update_cycles are assumptions), the second
// physical mesh for read responses (docs/sources.md#noc), overlapping the read phase, its static power.
#pragma once

#include <systemc>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chip_params.h"
#include "counters.h"
#include "flit.h"
#include "mapping.h"
#include "network.h"
#include "neurocore.h"
#include "router.h"

namespace spikemesh {

class Tracer;

class ManagementCore : public sc_core::sc_module, public FlitReceiver {
 public:
  ManagementCore(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params,
                 RunState& run, Router& router, const MeshGeometry::CorePlace& place);

  void connect_eject_credit(CreditReturn* credit) { eject_credit_ = credit; }
  CreditReturn* output_port() { return &output_port_; }
  const MeshGeometry::CorePlace& place() const { return place_; }

  // The host's side, between timesteps (what the loop asks for the next management phase).
  void reset(uint32_t context) { reset_pending_ = true, context_ = context; }
  // Pipelined calls: the next writes give population p the bias of times[p] (its call's context and timestep,
  // or none: 0) instead of the one context's at t_next; empty: back to the one context.
  void set_bias_times(const std::vector<BiasTime>& times) { bias_times_ = times; }
  void set_input(uint32_t population, const int32_t* payloads);
  void request_read(uint32_t population) { read_pending_.push_back(population); }
  void compute(uint64_t elements);
  const int32_t* currents(uint32_t population) const { return currents_[population].data(); }
  uint64_t pending_compute_cycles() const { return compute_pending_; }
  uint32_t context() const { return context_; }

  // The chip's side. Each starts a phase at cycle `now` and returns the messages it sent (0: none). The
  // phase is over when they (and their responses) have all been received and done_cycle() has passed.
  uint64_t start_reads(uint64_t now);
  // `t_next`: the next timestep's index within its network call (after a reset: 0). With `apply_now`, the
  // messages are timing-only (overlap_writes): apply_now(core, message) puts each value in its register at once.
  using ApplyNow = std::function<void(uint32_t core, const Flit&)>;
  uint64_t start_writes(uint64_t now, uint32_t t_next, const ApplyNow& apply_now = nullptr);
  // Whether the next write phase depends on nothing the timestep just computed: no reset (a new network
  // call) and no DDIM update are pending, so its writes may overlap the next timestep (overlap_writes).
  bool writes_independent() const { return !reset_pending_ && compute_pending_ == 0; }
  bool reset_pending() const { return reset_pending_; }
  uint64_t done_cycle() const { return free_; }
  // The cycle the last write phase's DDIM-update compute finished (its start when it had none).
  uint64_t compute_end_cycle() const { return compute_end_; }
  void receive(const Flit& f, uint64_t arrival_cycle) override;

  const ManagementCounters& counters() const { return counters_; }
  uint64_t queued_messages() const { return out_.size() - next_out_; }
  std::string describe_state(uint64_t now) const;
  // Waveform tracing: chip.management.busy (compute and message handling), .input_fifo.
  void attach_tracer(Tracer& tracer, uint64_t messages_per_step_bound);
  // Messages per timestep at most (tracer bounds): to each core, and from each core.
  std::vector<uint64_t> messages_to_cores_bound() const;
  std::vector<uint64_t> messages_from_cores_bound() const;

 private:
  // A segment of a population on a core, with (bias tables) the columns it covers and their values there.
  struct Holder {
    uint32_t core;
    CoreSegment segment;
    uint64_t column_lo = 0;
    std::vector<int16_t> bias;  // the core's bias registers as last written
  };
  struct OutputPort final : CreditReturn {
    ManagementCore* m = nullptr;
    void give_back(uint64_t usable_at) override { m->hand_next(usable_at); }
  };
  void send(MessageKind kind, uint32_t core, uint32_t population, uint64_t index, int32_t value,
            const ApplyNow& apply_now = nullptr);
  uint64_t start_sending(uint64_t now, size_t first);
  void hand_next(uint64_t earliest);
  void busy(uint64_t start, uint64_t finish);

  const Network& net_;
  const ChipProgram& program_;
  const ChipParams& params_;
  RunState& run_;
  Router& router_;
  MeshGeometry::CorePlace place_;
  CreditReturn* eject_credit_ = nullptr;
  OutputPort output_port_;

  std::vector<std::vector<Holder>> holders_;    // per population
  std::vector<std::vector<int32_t>> currents_;  // per readout population: the values read
  std::vector<std::vector<int32_t>> inputs_;    // per input population: payloads to write next
  std::vector<uint32_t> read_pending_;
  bool reset_pending_ = false;
  uint32_t context_ = 0;
  std::vector<BiasTime> bias_times_;  // per population while pipelined, else empty
  uint64_t compute_pending_ = 0;      // cycles of compute asked for, not yet started

  std::vector<Flit> out_;  // this phase's messages, in sending order
  size_t next_out_ = 0;
  uint64_t send_ready_ = 0;   // the phase's messages may leave from this cycle on
  uint64_t free_ = 0;         // the unit is free from this cycle on
  uint64_t compute_end_ = 0;  // see compute_end_cycle()
  ManagementCounters counters_;
  Tracer* tracer_ = nullptr;
  uint32_t sig_busy_ = 0, sig_fifo_ = 0;
};

}  // namespace spikemesh
