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

sc_core::sc_time cycles_to_time(uint64_t cycles) {
  return sc_core::sc_time::from_value(cycles * kernel_units_per_cycle());
}

CycleScheduler::CycleScheduler(sc_core::sc_module_name name) : sc_module(name), wheel_(kWheel) {
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
  if (cycle >= next_[id]) return;  // already due no later than that; its step reschedules what it needs
  next_[id] = cycle;
  push(cycle, id);
  if (running_) {
    assert(cycle >= running_cycle_);
    return;  // run() looks at the queue before it sleeps
  }
  if (cycle < planned_) {
    const uint64_t now = current_cycle();
    assert(cycle >= now);
    planned_ = cycle;
    wake_event_.notify(cycles_to_time(cycle - now));
  }
}

void CycleScheduler::push(uint64_t cycle, uint32_t id) {
  if (cycle < cursor_) throw std::logic_error("CycleScheduler: wake for a cycle that has already been stepped");
  if (cycle < cursor_ + kWheel) {
    wheel_[cycle & (kWheel - 1)].push_back(id);
    ++in_wheel_;
  } else {
    far_.push({cycle, id});
  }
}

bool CycleScheduler::next_cycle(uint64_t& cycle) const {
  if (in_wheel_ == 0 && far_.empty()) return false;
  cycle = far_.empty() ? kNever : far_.top().cycle;
  if (in_wheel_ > 0)
    for (uint64_t c = cursor_; c < cursor_ + kWheel && c < cycle; ++c)
      if (!wheel_[c & (kWheel - 1)].empty()) {
        cycle = c;
        break;
      }
  return true;
}

void CycleScheduler::advance(uint64_t cycle) {
  cursor_ = cycle;
  while (!far_.empty() && far_.top().cycle < cursor_ + kWheel) {
    const Entry e = far_.top();
    far_.pop();
    wheel_[e.cycle & (kWheel - 1)].push_back(e.id);
    ++in_wheel_;
  }
}

void CycleScheduler::notify_now(sc_core::sc_event& e) {
  e.notify(sc_core::SC_ZERO_TIME);
  horizon_ = 0;
}

void CycleScheduler::run() {
  const uint64_t now = current_cycle();
  planned_ = kNever;
  running_ = true;
  // Another process's activity bounds the run-ahead; only notify_now() can bring it closer meanwhile.
  const sc_core::sc_time gap = sc_core::sc_time_to_pending_activity();
  horizon_ = gap == sc_core::sc_max_time() ? kNever : now + gap.value() / kernel_units_per_cycle();
  uint64_t cycle = 0;
  while (next_cycle(cycle)) {
    if (cycle > now && cycle >= horizon_) break;
    advance(cycle);
    running_cycle_ = cycle;
    bool any = false;
    std::vector<uint32_t>& bucket = wheel_[cycle & (kWheel - 1)];
    for (size_t k = 0; k < bucket.size(); ++k) {  // steps may append wakes for this very cycle
      const uint32_t id = bucket[k];
      if (next_[id] != cycle) continue;  // superseded by an earlier wake that already ran
      next_[id] = kNever;
      ++steps_;
      any = true;
      clients_[id]->step(cycle);
    }
    in_wheel_ -= bucket.size();
    bucket.clear();
    if (any) {
      ++busy_cycles_;
      last_cycle_ = cycle;
    }
  }
  running_ = false;
  if (next_cycle(cycle)) {
    planned_ = cycle;
    wake_event_.notify(cycles_to_time(planned_ - now));
  }
}

}  // namespace spikemesh
