// Mesh router: ports north, east, south, west and one local port per core of its tile; XY dimension-order
// routing (route_xy), per-port input buffers, credit-based back-pressure, round-robin arbitration per
// output (round_robin), all from model/routing.h.
// Timing contract, per cycle t in which the router is stepped:
//   - an input's head flit is eligible from its arrival cycle on; at most one flit leaves each input and
//     at most one flit enters each output link per cycle;
//   - an output grants an eligible requester (round-robin from the last grant) only if it holds a
//     credit for the downstream buffer; the granted flit is eligible downstream at t + link latency
//     (hop_ew/hop_ns/chip_link, or eject into the core's FIFO);
//   - the slot it leaves is credited back to the upstream sender from t + 1 on;
//   - every cycle an eligible head flit waits (lost arbitration, or no credit) is one stall cycle.
// Event-driven: a router is stepped only in cycles where a head flit becomes eligible, a flit lost
// arbitration in the previous cycle, or a credit it waits for becomes usable; stalls are counted from
// the cycle the head became eligible to the cycle it is granted.
// Mesh input buffers hold input_buffer_flits (slots are reserved by credit while a flit is on the link);
// local input ports are the cores' output queues (unbounded: the compartment sweep never stalls).
// The router the management core sits on (hosted mode) has one more local port, after the cores' ports
// (hw/management_core.h); it routes, arbitrates and credits like any other.
// Left out: virtual channels, the second physical mesh for read responses (docs/sources.md#noc), link errors.
#pragma once

#include <systemc>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "counters.h"
#include "cycle_scheduler.h"
#include "flit.h"
#include "routing.h"

namespace spikemesh {

class Tracer;

class Router : public sc_core::sc_module, public Steppable {
 public:
  Router(sc_core::sc_module_name name, uint32_t x, uint32_t y, const MeshGeometry& geometry, const RouterParams& params,
         CycleScheduler& scheduler, FlitPool& pool, bool management_port = false);

  uint32_t x() const { return x_; }
  uint32_t y() const { return y_; }

  // Elaboration: the receiver behind output `port` (a core, a sink), with `credits` slots; or the next
  // router's input `next_port`; and, for input `port`, the credit counter of the upstream sender.
  void connect_output(uint32_t port, FlitReceiver* downstream, uint32_t credits, bool unlimited = false);
  void connect_link(uint32_t port, Router& next, uint32_t next_port, uint32_t credits);
  void connect_input_credit(uint32_t port, CreditReturn* upstream);
  FlitReceiver* input(uint32_t port) { return &inputs_[port]; }
  CreditReturn* output_credit(uint32_t port) { return &outputs_[port]; }
  CreditCounter& output_credit_counter(uint32_t port) { return outputs_[port].credit; }

  // A core (or source) hands a flit to local port `local`; it is eligible at `ready_cycle`.
  void inject(uint32_t local, const Flit& f, uint64_t ready_cycle);

  void step(uint64_t cycle) override;

  const RouterCounters& counters() const { return counters_; }
  uint64_t buffered_flits() const;  // flits in all input buffers (incl. on links)
  uint64_t last_grant_cycle() const { return last_grant_cycle_; }
  std::string describe_state() const;  // for deadlock reports
  size_t local_queue(uint32_t local) const { return inputs_[kPortLocal0 + local].fifo.size(); }

  // Waveform tracing (hw/tracer.h): per port p, in_<p>_occupancy (flits in input buffer p, from the cycle
  // a flit arrives through the cycle it is granted) and out_<p>_busy (high in a cycle the output grants a
  // flit onto its link). `flits_in[p]`, `flits_out[p]`: bounds on the flits through each port per timestep.
  void attach_tracer(Tracer& tracer, const std::vector<uint64_t>& flits_in, const std::vector<uint64_t>& flits_out);
  std::string port_label(uint32_t port) const;  // N, E, S, W, L0, L1, ..., M (the management core's port)
  uint32_t ports() const { return nports_; }

 private:
  struct Arrival {
    uint64_t ready = 0;
    uint32_t flit = 0;     // handle in the pool
    uint32_t address = 0;  // pack_address of its destination
  };
  struct InputPort final : FlitReceiver {
    Router* router = nullptr;
    uint32_t port = 0;
    RingFifo<Arrival> fifo;
    CreditReturn* upstream = nullptr;
    void receive(const Flit& f, uint64_t arrival_cycle) override;
  };
  struct OutputPort final : CreditReturn {
    Router* router = nullptr;
    FlitReceiver* downstream = nullptr;  // a terminal (core, sink) ...
    Router* next = nullptr;              // ... or the next router's input `next_port`
    uint32_t next_port = 0;
    CreditCounter credit;
    uint32_t latency = 0;
    LinkKind link = LinkKind::Eject;
    int last_grant = -1;
    bool blocked = false;  // a requester found no credit: wake the router when one returns
    void give_back(uint64_t usable_at) override;
  };
  void accept(uint32_t port, uint32_t flit, uint32_t address, uint64_t ready);
  uint32_t route(uint32_t address) const {
    return route_xy(x_, y_, {address & 0xfff, (address >> 12) & 0xfff, address >> 24});
  }

  uint32_t x_, y_;
  MeshGeometry geo_;
  RouterParams params_;
  CycleScheduler& scheduler_;
  FlitPool& pool_;
  uint32_t id_;
  uint32_t nports_;
  std::vector<InputPort> inputs_;
  std::vector<OutputPort> outputs_;
  uint32_t nonempty_ = 0;  // bit p: input p holds a flit
  // Per input, kept together (one cache line) for the request scan: the cycle its head flit became
  // eligible (arrived, and first in line), and that flit's output port.
  uint64_t eligible_at_[kPortLocal0 + 17] = {};  // up to 16 cores and the management core
  uint8_t head_out_[kPortLocal0 + 17] = {};
  RouterCounters counters_;
  uint64_t last_grant_cycle_ = 0;
  Tracer* tracer_ = nullptr;                // null when tracing is off
  std::vector<uint32_t> sig_in_, sig_out_;  // per port: occupancy and link-busy signal ids
};

}  // namespace spikemesh
