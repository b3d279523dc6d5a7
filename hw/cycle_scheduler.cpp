// Event-driven cycle scheduler; see cycle_scheduler.h.
#include "cycle_scheduler.h"

#include <cassert>

namespace spikemesh {

namespace {
uint64_t kernel_units_per_cycle() {
  static const uint64_t v = sc_core::sc_time(1, sc_core::SC_NS).value();
  return v;
}
}  // namespace

uint64_t current_cycle() { return sc_core::sc_time_stamp().value() / kernel_units_per_cycle(); }

sc_core::sc_time cycles_to_time(uint64_t cycles) { return sc_core::sc_time::from_value(cycles * kernel_units_per_cycle()); }

CycleScheduler::CycleScheduler(sc_core::sc_module_name name) : sc_module(name) {
  SC_METHOD(run);
  sensitive << wake_event_;
  dont_initialize();
}

uint32_t CycleScheduler::add(Steppable* s) {
  clients_.push_back(s);
  next_.push_back(kNever);
  return static_cast<uint32_t>(clients_.size() - 1);
}

void CycleScheduler::wake(uint32_t id, uint64_t cycle) {
  if (cycle >= next_[id]) return;   // already due no later than that; its step reschedules what it needs
  next_[id] = cycle;
  queue_.push({cycle, id});
  if (running_) {
    assert(cycle >= running_cycle_);
    return;                          // run() looks at the queue before it sleeps
  }
  if (cycle < planned_) {
    const uint64_t now = current_cycle();
    assert(cycle >= now);
    planned_ = cycle;
    wake_event_.notify(cycles_to_time(cycle - now));
  }
}

void CycleScheduler::run() {
  const uint64_t now = current_cycle();
  planned_ = kNever;
  running_ = true;
  running_cycle_ = now;
  bool any = false;
  while (!queue_.empty() && queue_.top().cycle <= now) {
    const Entry e = queue_.top();
    queue_.pop();
    if (next_[e.id] != e.cycle) continue;   // superseded by an earlier wake that already ran
    next_[e.id] = kNever;
    ++steps_;
    any = true;
    clients_[e.id]->step(now);
  }
  busy_cycles_ += any ? 1 : 0;
  running_ = false;
  if (!queue_.empty()) {
    planned_ = queue_.top().cycle;
    wake_event_.notify(cycles_to_time(planned_ - now));
  }
}

}  // namespace spikemesh
