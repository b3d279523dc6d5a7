// Event-driven cycle scheduler: one SystemC process steps, in each busy cycle, only the components that
// asked to be woken for that cycle, then sleeps until the next such cycle. Idle components and idle
// cycles cost nothing. SystemC time counts cycles: one cycle is 1 ns of kernel time (seconds come from
// clock_mhz at report time).
// Contract: a component stepped at cycle t sees every effect of cycles < t; effects it causes for other
// components are for cycles >= t + 1 (every link latency is >= 1 cycle), so the order in which the
// components of one cycle are stepped cannot change any outcome.
#pragma once

#include <systemc>

#include <cstdint>
#include <queue>
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

  uint32_t add(Steppable* s);                   // returns the component's id
  void wake(uint32_t id, uint64_t cycle);       // step component `id` at `cycle` (>= the current cycle)
  uint64_t steps() const { return steps_; }     // component steps taken (a cost measure)
  uint64_t busy_cycles() const { return busy_cycles_; }

 private:
  static constexpr uint64_t kNever = ~uint64_t{0};
  struct Entry {
    uint64_t cycle;
    uint32_t id;
    bool operator>(const Entry& o) const { return cycle != o.cycle ? cycle > o.cycle : id > o.id; }
  };
  void run();

  std::vector<Steppable*> clients_;
  std::vector<uint64_t> next_;                  // earliest pending wake per client
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_;
  sc_core::sc_event wake_event_;
  uint64_t planned_ = kNever;                   // cycle of the pending wake_event_ notification
  bool running_ = false;
  uint64_t running_cycle_ = 0;
  uint64_t steps_ = 0, busy_cycles_ = 0;
};

}  // namespace spikemesh
