// The integer event counters of the chip's components (neurocore, router, management core). Each struct
// lists its fields once, in fields(): report key, sum or peak, and the energy event that prices it; totals,
// intervals, report.json, the trace's columns and energy pricing all read that one list.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spikemesh {

// Sum: events or busy cycles; totals add, an interval is the later value minus the earlier one.
// Peak: a high-water mark; a total takes the largest, an interval keeps the later value (a peak cannot be
// split in time), and it is left out of per-timestep traces.
enum class CounterKind : uint8_t { Sum, Peak };

struct CounterField {
  const char* key;  // its name in report.json and trace.h5
  CounterKind kind;
  const char* energy_event;  // the energy table's event that prices one count (null: not priced)
};

// What every counter struct gets from its field list: a value visit, totals and intervals.
// `Derived::fields(f)` calls f(CounterField, member pointer) for each field, in report order.
template <class Derived>
struct CounterSet {
  // v(const CounterField&, value): every field with its value, in report order.
  template <class V>
  void describe(V& v) {
    Derived::fields([&](const CounterField& f, uint64_t Derived::*m) { v(f, self().*m); });
  }
  template <class V>
  void describe(V& v) const {
    Derived::fields([&](const CounterField& f, uint64_t Derived::*m) { v(f, self().*m); });
  }
  Derived& operator+=(const Derived& o) {
    Derived::fields([&](const CounterField& f, uint64_t Derived::*m) {
      self().*m = f.kind == CounterKind::Sum ? self().*m + o.*m : std::max(self().*m, o.*m);
    });
    return self();
  }
  Derived& operator-=(const Derived& earlier) {  // a peak stays the later one's
    Derived::fields([&](const CounterField& f, uint64_t Derived::*m) {
      if (f.kind == CounterKind::Sum) self().*m -= earlier.*m;
    });
    return self();
  }

 protected:
  static constexpr CounterField sum(const char* key, const char* energy_event = nullptr) {
    return {key, CounterKind::Sum, energy_event};
  }
  static constexpr CounterField peak(const char* key) { return {key, CounterKind::Peak, nullptr}; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

struct CoreCounters : CounterSet<CoreCounters> {
  uint64_t synops_dense = 0;      // synaptic ops on dense lists
  uint64_t synops_sparse = 0;     // on sparse lists (sparse, one-to-one, expanded conv)
  uint64_t synops_conv = 0;       // through shared conv kernels
  uint64_t words_read = 0;        // 64-bit synaptic memory words read
  uint64_t updates_active = 0;    // compartment updates that computed
  uint64_t updates_inactive = 0;  // compartment updates skipped (state at rest, no input, no bias)
  uint64_t spikes = 0;            // spikes generated (input compartments included)
  uint64_t messages_out = 0;      // spike messages sent
  uint64_t messages_in = 0;       // spike messages received
  uint64_t sweep_cycles = 0;      // compartment unit busy
  uint64_t dendrite_cycles = 0;   // dendrite unit busy
  uint64_t output_cycles = 0;     // output stage busy
  uint64_t busy_cycles = 0;       // sum of the three units' busy cycles (they overlap in time)
  uint64_t peak_input_fifo = 0;   // most messages waiting in the input FIFO
  uint64_t synops() const { return synops_dense + synops_sparse + synops_conv; }

  template <class F>
  static void fields(F&& f) {
    f(sum("synops_dense", "synop_dense"), &CoreCounters::synops_dense);
    f(sum("synops_sparse", "synop_sparse"), &CoreCounters::synops_sparse);
    f(sum("synops_conv", "synop_conv"), &CoreCounters::synops_conv);
    f(sum("words_read", "word_read"), &CoreCounters::words_read);
    f(sum("updates_active", "update_active"), &CoreCounters::updates_active);
    f(sum("updates_inactive", "update_inactive"), &CoreCounters::updates_inactive);
    f(sum("spikes", "spike"), &CoreCounters::spikes);
    f(sum("messages_out", "message_out"), &CoreCounters::messages_out);
    f(sum("messages_in", "message_in"), &CoreCounters::messages_in);
    f(sum("sweep_cycles"), &CoreCounters::sweep_cycles);
    f(sum("dendrite_cycles"), &CoreCounters::dendrite_cycles);
    f(sum("output_cycles"), &CoreCounters::output_cycles);
    f(sum("busy_cycles"), &CoreCounters::busy_cycles);
    f(peak("peak_input_fifo"), &CoreCounters::peak_input_fifo);
  }
};

struct RouterCounters : CounterSet<RouterCounters> {
  uint64_t flits = 0;              // flits granted to any output
  uint64_t hops_ew = 0;            // flits sent over on-chip east-west links
  uint64_t hops_ns = 0;            // flits sent over on-chip north-south links
  uint64_t hops_chip = 0;          // flits sent over chip-crossing links
  uint64_t injected = 0;           // flits taken from local ports
  uint64_t ejected = 0;            // flits delivered to local ports
  uint64_t stall_cycles = 0;       // (input, cycle) pairs where an eligible flit was not granted
  uint64_t peak_buffer_flits = 0;  // largest occupancy of one mesh input buffer (slots reserved)
  uint64_t hops() const { return hops_ew + hops_ns + hops_chip; }

  // A delivery into a core's input FIFO is priced as the tile's share of a message ("tile").
  template <class F>
  static void fields(F&& f) {
    f(sum("flits"), &RouterCounters::flits);
    f(sum("hops_ew", "hop_ew"), &RouterCounters::hops_ew);
    f(sum("hops_ns", "hop_ns"), &RouterCounters::hops_ns);
    f(sum("hops_chip", "chip_link"), &RouterCounters::hops_chip);
    f(sum("injected"), &RouterCounters::injected);
    f(sum("ejected", "tile"), &RouterCounters::ejected);
    f(sum("stall_cycles"), &RouterCounters::stall_cycles);
    f(peak("peak_buffer_flits"), &RouterCounters::peak_buffer_flits);
  }
};

struct ManagementCounters : CounterSet<ManagementCounters> {
  uint64_t messages_out = 0;    // management messages sent (the four kinds below)
  uint64_t messages_in = 0;     // read responses received
  uint64_t read_requests = 0;   // one per (core, readout segment) read
  uint64_t writes = 0;          // input payloads written
  uint64_t bias_writes = 0;     // bias registers written
  uint64_t resets = 0;          // cores reset
  uint64_t updates = 0;         // DDIM update elements computed
  uint64_t compute_cycles = 0;  // updates x update_cycles
  uint64_t message_cycles = 0;  // (messages_out + messages_in) x message_cycles
  uint64_t busy_cycles = 0;     // compute_cycles + message_cycles

  // Its messages' hops are priced as the routers' events; the core itself by its busy cycles.
  template <class F>
  static void fields(F&& f) {
    f(sum("messages_sent"), &ManagementCounters::messages_out);
    f(sum("messages_received"), &ManagementCounters::messages_in);
    f(sum("read_requests"), &ManagementCounters::read_requests);
    f(sum("writes"), &ManagementCounters::writes);
    f(sum("bias_writes"), &ManagementCounters::bias_writes);
    f(sum("resets"), &ManagementCounters::resets);
    f(sum("updates"), &ManagementCounters::updates);
    f(sum("compute_cycles"), &ManagementCounters::compute_cycles);
    f(sum("message_cycles"), &ManagementCounters::message_cycles);
    f(sum("busy_cycles", "cycle"), &ManagementCounters::busy_cycles);
  }
};

}  // namespace spikemesh
