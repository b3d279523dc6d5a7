// Waveform and per-timestep trace recorder: the chip's modules report cycle-stamped events (a spike at its
// update-finish cycle, a flit at its grant cycle, a buffer slot filled at the flit's arrival cycle) and the
// tracer turns them into value changes of named signals, written as VCD sorted by cycle; it also keeps
// per-timestep snapshots of every counter and the spike raster (trace.h5, written by sim/trace_output.h).
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

#include "chip_snapshot.h"

namespace spikemesh {

struct SimResult;

struct TracerParams {
  bool vcd = true;                              // record value changes (off: only the per-timestep data)
  std::vector<std::string> patterns{"*"};       // glob patterns over hierarchical signal names
  // Window: timesteps [timestep_first, timestep_first + timestep_count) (0 count: to the end); in hosted
  // mode these are timesteps within a network call (DDIM step), and calls [call_first, call_first +
  // call_count) are traced.
  uint32_t timestep_first = 0, timestep_count = 0;
  uint32_t call_first = 0, call_count = 0;
  // Probed compartments: (population, neuron index); their u and v are traced.
  std::vector<std::pair<uint32_t, uint64_t>> probes;
  uint64_t max_vcd_bytes = 0;                   // 0: no cap
  uint64_t window_timesteps = 0;                // timesteps the window covers in this run (for the bound)
};

class Tracer {
 public:
  static constexpr uint32_t kNone = ~0u;
  // Wire: 1 bit, high while the sum of its deltas is > 0. Count: integer sum of deltas. Value: integer, set.
  enum class Kind : uint8_t { Wire, Count, Value };

  explicit Tracer(TracerParams p);

  // Elaboration. declare() returns the signal's id, or kNone when no pattern selects `name`.
  // `max_changes_per_step`: an upper bound on its value changes in one timestep (for the size bound).
  uint32_t declare(const std::string& name, Kind kind, uint64_t max_changes_per_step);
  // Throws Error when the bound on the VCD's size exceeds max_vcd_bytes (called once all are declared).
  void check_size() const;
  uint64_t estimated_vcd_bytes() const;
  const TracerParams& params() const { return p_; }

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
  // ends (after its barrier) with its counters (hw/chip_snapshot.h) and the raster row it wrote in `result`.
  void step_begin(uint32_t t, uint32_t t_local, uint32_t call, uint64_t cycle);
  void step_end(uint64_t cycle, ChipSnapshot counters, const SimResult& result, uint64_t row);
  // The chip's component names, in snapshot order (once, when it attaches).
  void set_component_names(ChipComponentNames names) { names_ = std::move(names); }

  // Per timestep, recorded for every timestep of the run (window or not), cumulative counters after it.
  struct Step {
    uint32_t t = 0, t_local = 0, call = 0;
    uint64_t start_cycle = 0, end_cycle = 0;
    bool in_window = false;
  };
  const std::vector<Step>& steps() const { return steps_; }
  const std::vector<std::string>& core_names() const { return names_.cores; }
  const std::vector<std::string>& router_names() const { return names_.routers; }
  const std::vector<ChipSnapshot>& snapshots() const { return snapshots_; }
  // Spike raster of the window's timesteps: per window step, per population, one byte per neuron.
  const std::vector<std::vector<std::vector<uint8_t>>>& raster() const { return raster_; }
  // Probed u and v at the end of each window timestep: [window step][probe].
  const std::vector<std::vector<int32_t>>& probe_u() const { return probe_u_; }
  const std::vector<std::vector<int32_t>>& probe_v() const { return probe_v_; }
  std::vector<std::string>& probe_names() { return probe_names_; }
  const std::vector<std::string>& probe_names() const { return probe_names_; }
  void record_probe(uint32_t probe, int32_t u, int32_t v) {
    probe_u_.back()[probe] = u, probe_v_.back()[probe] = v;
  }

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

  TracerParams p_;
  bool on_ = false, in_window_ = false;
  std::vector<Signal> signals_;
  std::vector<Event> events_;
  std::vector<Step> steps_;
  std::vector<ChipSnapshot> snapshots_;
  std::vector<std::vector<std::vector<uint8_t>>> raster_;
  std::vector<std::vector<int32_t>> probe_u_, probe_v_;
  std::vector<std::string> probe_names_;
  ChipComponentNames names_;
};

}  // namespace spikemesh
