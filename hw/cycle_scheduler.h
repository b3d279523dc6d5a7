// Event-driven cycle scheduler: one SystemC process steps, in each busy cycle, only the components that
// asked to be woken for that cycle, then sleeps until the next such cycle. Idle components and idle
// cycles cost nothing. SystemC time counts cycles: one cycle is 1 ns of kernel time (seconds come from
// clock_mhz at report time).
// Run-ahead: when no other SystemC process has activity before cycle H (sc_time_to_pending_activity),
// the scheduler steps its components through every busy cycle before H in one activation, passing each
// step its own cycle, instead of returning to the kernel once per busy cycle. Results are unchanged: no
// other process can observe or affect those cycles; a component must use the cycle it is given, not the
// kernel's time. A step that notifies a kernel event must do so through notify_now(), which also ends
// the run-ahead (the horizon is computed once per activation, not per cycle).
// Contract: a component stepped at cycle t sees every effect of cycles < t; effects it causes for other
// components are for cycles >= t + 1 (every link latency is >= 1 cycle), so the order in which the
// components of one cycle are stepped cannot change any outcome.
#pragma once

#include <systemc>

#include <cstdint>
#include <queue>
#include <stdexcept>
#include <vector>

namespace spikemesh {

class Steppable {
 public:
  virtual ~Steppable() = default;
  virtual void step(uint64_t cycle) = 0;
};

// Cycle <-> kernel time.
uint64_t current_cycle();
sc_core::sc_time cycles_to_time(uint64_t cycles);

class CycleScheduler : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(CycleScheduler);
  explicit CycleScheduler(sc_core::sc_module_name name);

  uint32_t add(Steppable* s);              // returns the component's id
  void wake(uint32_t id, uint64_t cycle);  // step component `id` at `cycle` (>= the current cycle)
  // From a step (or outside one): notify `e` in the next delta cycle; the run-ahead stops after the
  // current cycle so that whoever waits on `e` sees it before any later cycle is stepped.
  void notify_now(sc_core::sc_event& e);
  uint64_t steps() const { return steps_; }  // component steps taken (a cost measure)
  uint64_t busy_cycles() const { return busy_cycles_; }
  uint64_t last_cycle() const { return last_cycle_; }  // the latest cycle a component was stepped in

 private:
  static constexpr uint64_t kNever = ~uint64_t{0};
  static constexpr uint64_t kWheel = 1024;  // timing wheel: one bucket per cycle of the next 1024
  struct Entry {
    uint64_t cycle;
    uint32_t id;
    bool operator>(const Entry& o) const { return cycle != o.cycle ? cycle > o.cycle : id > o.id; }
  };
  void run();
  void push(uint64_t cycle, uint32_t id);
  bool next_cycle(uint64_t& cycle) const;  // earliest cycle with an entry (possibly a stale one)
  void advance(uint64_t cycle);            // moves the wheel to `cycle`, pulling in far entries

  std::vector<Steppable*> clients_;
  std::vector<uint64_t> next_;  // earliest pending wake per client
  std::vector<std::vector<uint32_t>>
      wheel_;  // bucket c % kWheel: clients due at cycle c in [cursor_, cursor_ + kWheel)
  uint64_t cursor_ = 0, in_wheel_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> far_;  // due at or after cursor_ + kWheel
  sc_core::sc_event wake_event_;
  uint64_t planned_ = kNever;  // cycle of the pending wake_event_ notification
  uint64_t horizon_ = kNever;  // run-ahead limit: first cycle with other kernel activity
  bool running_ = false;
  uint64_t running_cycle_ = 0;
  uint64_t steps_ = 0, busy_cycles_ = 0, last_cycle_ = 0;
};

}  // namespace spikemesh
