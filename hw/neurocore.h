// Neurocore: a thin timing shell over the bit-exact neuron (model/neuron.h) and the core's compiled
// tables (model/mapping.h). Three units, each a FIFO-ordered server (model/core_timing.h):
//   compartment sweep  at the start of timestep t (cycle t0) it updates its compartments in order, each
//                      taking update_active_cycles or update_inactive_cycles (input compartments are
//                      host-written spike generators and take none), reading delay slot t; a
//                      compartment that fires takes spike_out_cycles more (the soma's spike out);
//                      a population's periodic reset, when due at t, zeroes u, v and the refractory
//                      count as the update reads them (no extra cycle);
//                      updated_by_potential picks which updates count as active;
//   output stage       a spike of compartment c sends one message per entry of c's output axons, each
//                      taking axon_out_cycles after the spike (and after the previous message; with
//                      sweep_waits_for_output the sweep stalls until they are generated); the
//                      message enters the router's local port inject_cycles later, and leaves it when the
//                      router grants it (one per cycle). The output queue is not bounded, so the sweep
//                      never stalls on a busy mesh (Loihi's depth is not public). The core hands its
//                      messages to the router one at a time, the next when the router takes the previous
//                      (the local port's credit return), so a long queue costs no router memory;
//   dendrite unit      a message arriving (eject) at cycle a waits in the input FIFO (input_fifo_depth;
//                      a full FIFO back-pressures the router) and is served from max(a, unit free):
//                      axon_in_cycles, then synop_cycles per synapse, reading the synapse list from the
//                      synaptic memory (words counted) and adding w_eff into delay slot t + 1 + delay.
// The FIFO slot is credited back to the router from the cycle after service starts.
// Synaptic memory: the core keeps its packed image (words counted per read) and the decoded lists its
// datapath uses, decoded from that image at construction (so a packing error changes the raster).
// Simulation shortcut: a message's service time needs only its list length (carried as an annotation
// on the flit, from the output axon table), so receive() books the timing at once and defers the
// accumulation of a discrete axon's list to flush(), which walks all of a timestep's messages in one pass with
// prefetching. Delay slots t + 1 + d are only read by later sweeps, so the raster cannot tell the difference.
// Management messages (hosted mode, hw/management_core.h) are served by the dendrite unit like a spike
// message with an empty list (axon_in_cycles: the address lookup): a write sets an input compartment's
// next payload, a bias write sets one bias register (one per bias-table column the core covers; the sweep
// reads its biases from them), a reset zeroes state and delay slots, and a read request of k readout
// compartments queues k read responses (their currents) in the output stage, axon_out_cycles each, after
// the request's service, one into the router's local port at a time like spike messages.
// Left out: learning, multi-compartment dendritic trees, Loihi's 32 shared compartment profiles (every
// compartment has its own parameters here), delay-slot capacity limits.
#pragma once

#include <systemc>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "chip_params.h"
#include "core_timing.h"
#include "counters.h"
#include "critical_path.h"
#include "cycle_scheduler.h"
#include "flit.h"
#include "mapping.h"
#include "network.h"
#include "reference_sim.h"
#include "router.h"

namespace spikemesh {

class Tracer;

// What the cores of one chip share during a run (owned by the chip top).
struct RunState {
  uint32_t context = 0;                         // bias-table context
  std::vector<std::vector<int32_t>> payloads;   // per population: input payloads of this step
  SimResult* result = nullptr;                  // raster being recorded
  StateRecord* state = nullptr;                 // --state-out: u and v after chosen timesteps (or none)
  bool single_row = false;                      // hosted loop: every step writes row 0 (the last step)
  bool bias_registers = false;                  // hosted loop: biases come from the cores' bias registers
  MeshGeometry::CorePlace management{0, 0, 0};  // hosted loop: where read responses go
  uint32_t management_id = 0;                   // its src_core in flits (one past the last core)
  uint64_t outstanding = 0;                     // messages emitted, not yet received
  sc_core::sc_event* drained = nullptr;         // notified when outstanding returns to 0
  CycleScheduler* scheduler = nullptr;          // notifies `drained` (ends its run-ahead)
  uint64_t next_flit_id = 0;
};

class Neurocore : public sc_core::sc_module, public FlitReceiver {
 public:
  Neurocore(sc_core::sc_module_name name, uint32_t index, const Network& net, const ChipProgram& chip,
            const ChipParams& params, RunState& run, Router& router);

  // The router delivering into this core's input FIFO holds `credit` (input_fifo_depth slots).
  void connect_eject_credit(CreditReturn* credit) { eject_credit_ = credit; }
  // The router takes a message from this core's local port: the next one may follow (credit return).
  CreditReturn* output_port() { return &output_port_; }
  uint64_t queued_messages() const;  // messages of this step not yet taken by the router

  // Timestep t starts at cycle t0: sweep, spikes, messages into the router's local port.
  void begin_step(uint32_t t, uint64_t t0);
  void receive(const Flit& f, uint64_t arrival_cycle) override;
  // Zeroes every compartment's state and every delay slot: a new network call (the next DDIM step).
  // The chip calls it between timesteps, when no message is in flight.
  void reset_state();
  // What a write, bias write or reset message does to the core's registers (payload, bias, state), apart
  // from its service time: on arrival, or when the timestep begins for a timing-only message
  // (chip.management.overlap_writes: the double-buffered register already holds its value).
  void apply_management(const Flit& f);
  // Applies the synaptic input of the messages received in this timestep (see receive); the chip calls
  // it when the timestep is over, before the next sweep reads the delay slots.
  void flush();

  // The cycle by which every unit has finished what it has been given.
  uint64_t done_cycle() const { return std::max(std::max(sweep_end_, output_free_), dendrite_free_); }
  bool dendrite_busy_at(uint64_t cycle) const { return dendrite_free_ > cycle; }
  // Critical-path bookkeeping (model/critical_path.h) of the current timestep. Each unit is free from:
  uint64_t sweep_end() const { return sweep_end_; }
  uint64_t output_free() const { return output_free_; }
  uint64_t dendrite_free() const { return dendrite_free_; }
  // The dendrite unit's current busy period (model/critical_path.h).
  using DendriteBusy = spikemesh::DendriteBusy;
  const DendriteBusy& dendrite_busy() const { return dendrite_busy_; }
  // The start of the output stage's busy period (in this timestep) that holds the service ending at `cycle`.
  uint64_t output_busy_since(uint64_t cycle) const;
  const CoreCounters& counters() const { return counters_; }
  uint32_t index() const { return index_; }
  uint64_t synapse_words_used() const { return program_.synapse_words.size(); }
  std::string describe_state(uint64_t now) const;

  // Waveform tracing (hw/tracer.h): declares this core's signals; `messages_in_bound` bounds the messages
  // it can receive in one timestep; `probes`: (compartment, probe index, name) whose u and v are traced.
  static constexpr uint32_t kNoProbe = ~0u;
  struct Probe {
    uint32_t compartment, index;
    std::string name;
  };
  void attach_tracer(Tracer& tracer, uint64_t messages_in_bound, const std::vector<Probe>& probes);

 private:
  struct Synapse {
    uint32_t compartment_delay;  // compartment | delay << 24
    int32_t weight;              // effective weight (effective_weight of the stored mantissa)
  };
  // 16 bytes: the table is large (one entry per source neuron) and read once per message.
  struct Axon {
    uint32_t begin = 0, end = 0;  // discrete: decoded synapses; population axon: begin = index into conv_axons_
    uint32_t words = 0;           // synaptic memory words of the list
    uint32_t dense : 1, conv : 1, graded : 1, frac_bits : 5, synops_dense : 24;
  };
  struct ConvAxon {
    uint32_t kernel = 0, y = 0, x = 0;
  };
  struct KernelRow {
    uint32_t co_first = 0, co_count = 0, words = 0;
    std::vector<int32_t> weight;  // [co - co_first][tap], effective
    std::vector<uint8_t> delay;
  };
  struct ChannelTile {                // the pixels [pix_lo, pix_hi) of one output channel on this
    uint64_t pix_lo = 0, pix_hi = 0;  // core (a band's rows, or part of a C-order range) and the
    uint32_t base = 0;                // compartment of pix_lo
  };
  struct Kernel {
    ConvGeometry geometry;
    uint32_t out_w = 0, taps = 0;
    uint32_t y_lo = 0, y_hi = 0;  // output rows walked: the band
    uint64_t out_pixels = 0;
    uint32_t co_lo = 0;
    std::vector<ChannelTile> tiles;  // per output channel co_lo + k
    std::vector<KernelRow> rows;     // per input channel
  };
  void decode();
  // The sweep over sdnn segment `sk` (step t started at t0) from `cycle`; returns the cycle it ends.
  uint64_t sweep_sdnn(size_t sk, uint64_t slot, uint64_t row, uint64_t t0, uint64_t cycle);
  // A probed compartment's u and v into the trace at `cycle`: the state an update starts from, or (updated)
  // the state it wrote, also recorded as a probe sample in the trace window. No-op for unprobed ones.
  void probe_state(uint32_t c, uint64_t cycle, bool updated);
  // The effective bias of neuron i of segment sk at this step: a hosted run's bias register, else the table
  // of the run's context or the static bias.
  int64_t bias_of(size_t sk, uint64_t i) const;
  // Compartment c fired at `cycle` (CUBA: payload 1; sdnn: its graded value): spike-out step, counters,
  // output queue; returns the cycle the sweep goes on at.
  uint64_t fire(uint32_t c, int32_t payload, uint64_t cycle);
  // --state-out: where neuron 0 of segment sk's population keeps its u and v for this timestep (null: not
  // recorded); each compartment's state is copied there after its update.
  struct StateRow {
    int32_t* u = nullptr;
    int32_t* v = nullptr;
  };
  StateRow state_row(size_t sk) const;
  void queue_spike(uint32_t compartment, int32_t payload, uint64_t spike_cycle);
  void hand_next_message(uint64_t earliest);   // the next queued message into the router's local port
  void hand_next_response(uint64_t earliest);  // the same for read responses (after this step's spikes)
  // The output stage serves one message ready at `cycle` (axon_out_cycles), stamps `f` as this core's, bound
  // for router (x, y) port `local`; returns when it can enter the router's local port.
  uint64_t send(Flit& f, uint64_t cycle, uint16_t x, uint16_t y, uint16_t local);
  ServiceSlot book_input(const Flit& f, uint64_t arrival, uint64_t cycles);  // the dendrite unit takes a message
  void receive_management(const Flit& f, uint64_t arrival);
  struct OutputPort final : CreditReturn {
    Neurocore* core = nullptr;
    void give_back(uint64_t usable_at) override { core->hand_next_message(usable_at); }
  };
  struct SpikeOut {
    uint32_t first, end;  // its destinations: program_.out[first, end)
    int32_t payload;
    uint64_t cycle;  // the cycle the compartment update finished
  };

  uint32_t index_;
  const Network& net_;
  const ChipProgram& chip_;
  const CoreProgram& program_;
  const ChipParams& params_;
  RunState& run_;
  Router& router_;
  uint32_t local_;
  CreditReturn* eject_credit_ = nullptr;

  std::vector<Synapse> synapses_;
  std::vector<Axon> axons_;
  std::vector<ConvAxon> conv_axons_;
  std::vector<uint64_t> slot_offset_;  // per delay: offset of slot t + 1 + delay in acc_ (this step)
  struct Pending {
    uint32_t axon;
    int32_t payload;
  };
  std::vector<Pending> pending_;  // discrete messages of this step, not yet accumulated
  std::vector<Kernel> kernels_;
  std::vector<CompartmentState> state_;
  uint32_t slots_ = 2;         // delay ring: max delay + 2
  std::vector<uint32_t> acc_;  // slots_ x compartments, modulo 2^32 (wrapped on use)

  uint32_t t_ = 0;
  uint64_t sweep_end_ = 0, output_free_ = 0, dendrite_free_ = 0;
  DendriteBusy dendrite_busy_;
  std::vector<uint64_t> output_busy_starts_;  // this timestep's output-stage busy periods, ascending
  OutputPort output_port_;
  std::vector<SpikeOut> spikes_out_;  // this step's spikes with destinations, in sweep order
  size_t next_spike_ = 0;             // output stage cursor: spike, and destination within it
  uint32_t next_dest_ = 0;            // index into program_.out
  bool in_port_ = false;              // a message of this core waits in the router's local port
  struct Response {
    uint32_t population, neuron;
    int32_t value;
    uint64_t ready;  // the cycle the read request's service finished
  };
  std::vector<Response> responses_;  // read responses not yet handed to the router
  size_t next_response_ = 0;
  // Bias registers (hosted mode), per segment with a bias table: one mantissa per table column it covers,
  // from column bias_column_lo_ on (empty for other segments).
  std::vector<std::vector<int16_t>> bias_reg_;
  std::vector<uint64_t> bias_column_lo_;
  RingFifo<uint64_t> waiting_starts_;  // service starts of messages still in the FIFO
  CoreCounters counters_;
  // Tracing (null when off): signal ids of spike_out, the three units' busy wires, the input FIFO depth;
  // per compartment its probe slot (kNone if not probed), and per probe its u signal (v is the next id).
  Tracer* tracer_ = nullptr;
  uint32_t sig_spike_ = 0, sig_sweep_ = 0, sig_output_ = 0, sig_dendrite_ = 0, sig_fifo_ = 0;
  std::vector<uint32_t> probe_of_;
  std::vector<uint32_t> probe_sig_u_, probe_sig_v_, probe_index_;
};

}  // namespace spikemesh
