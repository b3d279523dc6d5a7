// Uniform random traffic; see traffic.h.
#include "traffic.h"

#include <algorithm>

namespace spikemesh {

UniformTraffic::UniformTraffic(sc_core::sc_module_name name, Noc& noc, const RouterParams& router, double rate,
                               uint64_t seed, uint64_t stop_cycle)
    : sc_module(name), noc_(noc), router_(router), gap_(rate), stop_(stop_cycle) {
  const MeshGeometry& g = noc.geometry();
  nodes_.resize(g.routers());
  for (uint32_t y = 0; y < g.height(); ++y)
    for (uint32_t x = 0; x < g.width(); ++x) {
      Node& n = nodes_[g.router_index(x, y)];
      n.owner = this;
      n.x = x;
      n.y = y;
      n.id = noc.scheduler().add(&n);
      n.rng.seed(seed + g.router_index(x, y));
    }
  sinks_.resize(g.cores());
  for (uint32_t c = 0; c < g.cores(); ++c) {
    sinks_[c].stats = &stats_;
    noc.attach(c, &sinks_[c], 0, true);
  }
  SC_METHOD(start);
}

uint64_t UniformTraffic::gap(Node& n) { return 1 + gap_(n.rng); }

void UniformTraffic::start() {
  for (Node& n : nodes_) {
    const uint64_t first = gap(n) - 1;
    if (first < stop_) noc_.scheduler().wake(n.id, first);
  }
}

void UniformTraffic::inject(Node& n, uint64_t cycle) {
  const MeshGeometry& g = noc_.geometry();
  const uint32_t self = g.router_index(n.x, n.y);
  uint32_t dest = static_cast<uint32_t>(std::uniform_int_distribution<uint32_t>(0, g.routers() - 2)(n.rng));
  if (dest >= self) ++dest;  // any router but this one
  Flit f;
  f.dest_x = static_cast<uint16_t>(dest % g.width());
  f.dest_y = static_cast<uint16_t>(dest / g.width());
  f.dest_local = static_cast<uint16_t>(std::uniform_int_distribution<uint32_t>(0, g.cores_per_router - 1)(n.rng));
  const uint32_t local = std::uniform_int_distribution<uint32_t>(0, g.cores_per_router - 1)(n.rng);
  f.src_core = g.core_at(n.x, n.y, local);
  f.id = next_id_++;
  f.emitted_cycle = cycle;
  ++stats_.injected;
  noc_.router(n.x, n.y).inject(local, f, cycle + router_.inject_cycles);
  const uint64_t next = cycle + gap(n);
  if (next < stop_) noc_.scheduler().wake(n.id, next);
}

void UniformTraffic::Sink::receive(const Flit& f, uint64_t arrival_cycle) {
  ++stats->ejected;
  const uint64_t lat = arrival_cycle - f.emitted_cycle;
  stats->latency_sum += lat;
  stats->latency_max = std::max(stats->latency_max, lat);
}

}  // namespace spikemesh
