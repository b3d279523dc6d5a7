// Waveform recorder: the chip's modules report cycle-stamped events (a spike at its update-finish cycle, a
// flit at its grant cycle, a buffer slot filled at the flit's arrival cycle) and the tracer turns them into
// value changes of named signals, written as VCD sorted by cycle; it also keeps the timeline of timesteps
// (the trace window) and the probed compartments' u and v. The per-timestep counters and spike raster of
// the whole chip are recorded beside the chip (hw/chip_snapshot.h); sim/trace_output.h writes both.
//
// Why not sc_trace: the CycleScheduler steps routers and cores AHEAD of SystemC kernel time (run-ahead,
// docs/architecture.md), so an sc_signal written from them would be stamped with the kernel time of the
// activation, not the cycle the event happens in. Every event has its exact cycle in the model, so the
// modules hand that cycle here instead, and the VCD is written by this class with the same hierarchical
// names SystemC would give (chip.core_3.spike_out, chip.noc.router_2_1.in_N_occupancy).
//
// Cost when tracing is off: every hook is behind `if (tracer_)` on a null pointer.
// Signals are declared at elaboration with a bound on their value changes per timestep, so the VCD's size
// can be bounded (and refused above a cap) before the simulation starts.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace spikemesh {

// What to trace: the run config's `trace:` section (traces/README.md), off by default. The window is
// timesteps [timestep_first, timestep_first + timestep_count) (count 0: to the end); in hosted mode these
// are timesteps within a network call (DDIM step), and calls [ddim_step_first, ddim_step_first +
// ddim_step_count) are traced.
struct TraceParams {
  bool vcd = false;                       // write run.vcd and run.gtkw
  bool hdf5 = false;                      // write trace.h5
  std::string signals = "*";              // comma-separated glob patterns over hierarchical signal names
  std::string probes;                     // "population:i,j,a-b;population2:k": compartments whose u, v are traced
  uint32_t timestep_first = 0;            // window (within each DDIM step in the FSDDIM loop)
  uint32_t timestep_count = 0;            // 0: to the end
  uint32_t ddim_step_first = 0;           // FSDDIM loop: network calls k x S + d (image k, DDIM step d)
  uint32_t ddim_step_count = 0;           // 0: to the end
  uint64_t max_vcd_bytes = 256ull << 20;  // refuse when the VCD's size bound is above this

  template <class V>
  void describe(V& v) {
    v.field("vcd", vcd, "write a VCD waveform (run.vcd) and a GTKWave save file (run.gtkw)");
    v.field("hdf5", hdf5,
            "write trace.h5: per-timestep spike raster, probed u and v, per-core and per-router counters");
    v.field("signals", signals,
            "comma-separated glob patterns over signal names, e.g. 'chip.core_0.*,chip.noc.router_1_*,chip.timestep'");
    v.field("probes", probes, "compartments whose u and v are traced: 'population:0,3,5-7;other:1'");
    v.field("timestep_first", timestep_first, 0, 1u << 30,
            "first traced timestep (in the FSDDIM loop: within each DDIM step)");
    v.field("timestep_count", timestep_count, 0, 1u << 30, "traced timesteps (0: to the end)");
    v.field("ddim_step_first", ddim_step_first, 0, 1u << 30,
            "FSDDIM loop: first traced DDIM step, counted over all images (image k, step d is k x steps + d)");
    v.field("ddim_step_count", ddim_step_count, 0, 1u << 30, "FSDDIM loop: traced DDIM steps (0: to the end)");
    v.field("max_vcd_bytes", max_vcd_bytes, 0, ~uint64_t{0} >> 1,
            "refuse to run when the VCD could exceed this many bytes (0: no cap)");
  }
};

// TraceParams resolved against the network and the run (sim/trace_output.h checks them).
struct TraceSelection {
  std::vector<std::string> patterns{"*"};             // the globs of `signals`
  std::vector<std::pair<uint32_t, uint64_t>> probes;  // (population, neuron index) of `probes`
  uint64_t window_timesteps = 0;                      // timesteps the window covers (for the size bound)
};

class Tracer {
 public:
  static constexpr uint32_t kNone = ~0u;
  // Wire: 1 bit, high while the sum of its deltas is > 0. Count: integer sum of deltas. Value: integer, set.
  enum class Kind : uint8_t { Wire, Count, Value };

  Tracer(TraceParams params, TraceSelection selection);

  // Elaboration. declare() returns the signal's id, or kNone when no pattern selects `name`.
  // `max_changes_per_step`: an upper bound on its value changes in one timestep (for the size bound).
  uint32_t declare(const std::string& name, Kind kind, uint64_t max_changes_per_step);
  // Throws Error when the VCD would hold no signal (trace.signals selects none of those declared) or the
  // bound on its size exceeds max_vcd_bytes (called once all are declared).
  void check_size() const;
  uint64_t estimated_vcd_bytes() const;
  const TraceParams& params() const { return p_; }
  const TraceSelection& selection() const { return sel_; }

  // Recording (cheap; ignored outside the window and for unselected signals).
  bool on() const { return on_; }
  bool in_window() const { return in_window_; }
  void add(uint32_t sig, uint64_t cycle, int64_t delta) {
    if (on_ && sig != kNone) events_.push_back({cycle, sig, delta, false});
  }
  void set(uint32_t sig, uint64_t cycle, int64_t value) {
    if (on_ && sig != kNone) events_.push_back({cycle, sig, value, true});
  }
  void pulse(uint32_t sig, uint64_t cycle) { add(sig, cycle, 1), add(sig, cycle + 1, -1); }
  void interval(uint32_t sig, uint64_t begin, uint64_t end) {
    if (end > begin) add(sig, begin, 1), add(sig, end, -1);
  }

  // Called by the chip: a timestep starts (global index, index within the network call, the call), and
  // ends (after its barrier).
  void step_begin(uint32_t t, uint32_t t_local, uint32_t call, uint64_t cycle);
  void step_end(uint64_t cycle);

  // Per timestep, recorded for every timestep of the run (window or not).
  struct Step {
    uint32_t t = 0, t_local = 0, call = 0;
    uint64_t start_cycle = 0, end_cycle = 0;
    bool in_window = false;
  };
  const std::vector<Step>& steps() const { return steps_; }
  // Probed u and v at the end of each window timestep: [window step][probe].
  const std::vector<std::vector<int32_t>>& probe_u() const { return probe_u_; }
  const std::vector<std::vector<int32_t>>& probe_v() const { return probe_v_; }
  std::vector<std::string>& probe_names() { return probe_names_; }
  const std::vector<std::string>& probe_names() const { return probe_names_; }
  void record_probe(uint32_t probe, int32_t u, int32_t v) { probe_u_.back()[probe] = u, probe_v_.back()[probe] = v; }

  // The VCD (1 time unit = 1 cycle) and a GTKWave save file grouping signals by chip, core and router.
  void write_vcd(std::ostream& os) const;
  void write_gtkw(std::ostream& os, const std::string& vcd_name) const;
  uint64_t signal_count() const { return signals_.size(); }

 private:
  struct Signal {
    std::string name;
    Kind kind;
    uint64_t max_changes;
  };
  struct Event {
    uint64_t cycle;
    uint32_t sig;
    int64_t value;
    bool absolute;
  };
  bool selected(const std::string& name) const;

  TraceParams p_;
  TraceSelection sel_;
  bool on_ = false, in_window_ = false;
  std::vector<Signal> signals_;
  uint64_t declared_ = 0;       // signals the chip offered, selected or not
  std::string first_declared_;  // one of their names, for the message when none is selected
  std::vector<Event> events_;
  std::vector<Step> steps_;
  std::vector<std::vector<int32_t>> probe_u_, probe_v_;
  std::vector<std::string> probe_names_;
};

}  // namespace spikemesh
