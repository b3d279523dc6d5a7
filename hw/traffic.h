// Synthetic traffic for the mesh alone (benchmarks, testbenches): every router injects flits into a
// random local port as a Bernoulli process of `rate` flits per cycle (drawn as geometric gaps, so idle
// cycles cost nothing), each to a uniformly random other router and local port; sinks on every eject
// port accept at once (unlimited credit) and record latency. Node k draws from its own generator seeded
// with seed + k.
#pragma once

#include <systemc>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "cycle_scheduler.h"
#include "flit.h"
#include "noc.h"

namespace spikemesh {

struct TrafficStats {
  uint64_t injected = 0, ejected = 0;
  uint64_t latency_sum = 0, latency_max = 0;  // cycles from emission to arrival in the sink
};

class UniformTraffic : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(UniformTraffic);
  // Injects in cycles [0, stop_cycle).
  UniformTraffic(sc_core::sc_module_name name, Noc& noc, const RouterParams& router, double rate, uint64_t seed,
                 uint64_t stop_cycle);
  const TrafficStats& stats() const { return stats_; }

 private:
  struct Node final : Steppable {
    UniformTraffic* owner = nullptr;
    uint32_t x = 0, y = 0, id = 0;
    std::mt19937_64 rng;  // one stream per node: the draws do not depend on the stepping order
    void step(uint64_t cycle) override { owner->inject(*this, cycle); }
  };
  struct Sink final : FlitReceiver {
    TrafficStats* stats = nullptr;
    void receive(const Flit& f, uint64_t arrival_cycle) override;
  };
  void start();
  void inject(Node& n, uint64_t cycle);
  uint64_t gap(Node& n);

  Noc& noc_;
  RouterParams router_;
  std::geometric_distribution<uint64_t> gap_;
  uint64_t stop_;
  std::vector<Node> nodes_;
  std::vector<Sink> sinks_;
  TrafficStats stats_;
  uint64_t next_id_ = 0;
};

}  // namespace spikemesh
