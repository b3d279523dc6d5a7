// Testbench components for the mesh: a sink with seeded random back-pressure and a source that injects
// seeded random traffic, both recording what they see for scoreboards.
#pragma once

#include <systemc>

#include <cstdint>
#include <random>
#include <vector>

#include "cycle_scheduler.h"
#include "flit.h"
#include "router.h"

namespace spikemesh::testing {

// Receives flits into a buffer of `capacity` slots and consumes each one `hold` cycles after it is at the
// head (plus a seeded random 0..jitter extra): a slow consumer. A slot is credited back to the sender
// from the cycle after the flit is consumed. Records every arrival.
class Sink final : public FlitReceiver {
 public:
  struct Arrival {
    Flit flit;
    uint64_t cycle;
  };
  Sink(uint32_t capacity, uint32_t hold, uint32_t jitter, uint64_t seed)
      : capacity_(capacity), hold_(hold), jitter_(jitter), rng_(seed) {}
  void connect(CreditReturn* sender) { sender_ = sender; }
  void receive(const Flit& f, uint64_t arrival) override {
    arrivals.push_back({f, arrival});
    const uint64_t extra = jitter_ ? rng_() % (jitter_ + 1) : 0;
    const uint64_t consume = std::max(arrival, last_consume_ + 1) + hold_ + extra;
    last_consume_ = consume;
    consumed_at.push_back(consume);
    if (sender_) sender_->give_back(consume + 1);
  }
  uint32_t capacity() const { return capacity_; }
  std::vector<Arrival> arrivals;
  std::vector<uint64_t> consumed_at;

 private:
  uint32_t capacity_, hold_, jitter_;
  std::mt19937_64 rng_;
  CreditReturn* sender_ = nullptr;
  uint64_t last_consume_ = 0;
};

// Injects `count` flits into one router input: a mesh port (through its credit counter, arriving
// `latency` cycles after being sent) or a local port (unbounded). Gaps between attempts are seeded random.
class Source : public sc_core::sc_module, public CreditReturn {
 public:
  SC_HAS_PROCESS(Source);
  struct Sent {
    Flit flit;
    uint64_t cycle;  // cycle it left the source
  };
  Source(sc_core::sc_module_name name, Router& router, uint32_t port, uint32_t credits, uint32_t latency,
         uint32_t count, uint32_t max_gap, uint64_t seed, std::vector<MeshGeometry::CorePlace> destinations)
      : sc_module(name),
        router_(router),
        port_(port),
        credit_(credits, port >= kPortLocal0),
        latency_(latency),
        count_(count),
        max_gap_(max_gap),
        rng_(seed),
        destinations_(std::move(destinations)) {
    router.connect_input_credit(port, this);
    SC_METHOD(run);
  }
  void give_back(uint64_t usable_at) override { credit_.give_back(usable_at); }
  std::vector<Sent> sent;

 private:
  void run() {
    const uint64_t now = current_cycle();
    if (sent.size() == count_) return;
    if (!credit_.available(now)) {  // back-pressure: try again next cycle
      next_trigger(cycles_to_time(1));
      return;
    }
    credit_.consume();
    const auto& d = destinations_[rng_() % destinations_.size()];
    Flit f;
    f.src_core = port_;
    f.id = uint64_t{port_} << 32 | sent.size();
    f.emitted_cycle = now;
    f.dest_x = static_cast<uint16_t>(d.x);
    f.dest_y = static_cast<uint16_t>(d.y);
    f.dest_local = static_cast<uint16_t>(d.local);
    sent.push_back({f, now});
    if (port_ >= kPortLocal0)
      router_.inject(port_ - kPortLocal0, f, now + latency_);
    else
      router_.input(port_)->receive(f, now + latency_);
    next_trigger(cycles_to_time(1 + rng_() % (max_gap_ + 1)));
  }
  Router& router_;
  uint32_t port_;
  CreditCounter credit_;
  uint32_t latency_, count_, max_gap_;
  std::mt19937_64 rng_;
  std::vector<MeshGeometry::CorePlace> destinations_;
};

}  // namespace spikemesh::testing
