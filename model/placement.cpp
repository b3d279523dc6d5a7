// Placement by deterministic local search; see placement.h.
#include "placement.h"

#include <cmath>
#include <cstdlib>
#include <numeric>

namespace spikemesh {
namespace {

double distance(const SlotXY& a, const SlotXY& b, const PlacementCost& c) {
  return std::abs(a.x - b.x) * c.ew_weight + std::abs(a.y - b.y) * c.ns_weight;
}

struct Neighbour {
  uint32_t core;
  double messages;   // both directions summed: hop cost is symmetric
};

}  // namespace

double traffic_hops(const std::vector<TrafficEdge>& traffic, const std::vector<uint32_t>& place,
                    const std::vector<SlotXY>& slots, const PlacementCost& cost) {
  double total = 0.0;
  for (const auto& e : traffic) total += e.messages * distance(slots[place[e.from]], slots[place[e.to]], cost);
  return total;
}

std::vector<uint32_t> place_mesh_order(uint32_t logical_cores) {
  std::vector<uint32_t> p(logical_cores);
  std::iota(p.begin(), p.end(), 0u);
  return p;
}

std::vector<uint32_t> place_min_hops(const std::vector<TrafficEdge>& traffic, uint32_t n, const std::vector<SlotXY>& slots,
                                     const PlacementCost& cost, uint32_t max_passes) {
  std::vector<uint32_t> place = place_mesh_order(n);
  const uint32_t ns = static_cast<uint32_t>(slots.size());
  std::vector<int64_t> occupant(ns, -1);
  for (uint32_t i = 0; i < n; ++i) occupant[i] = i;
  std::vector<std::vector<Neighbour>> adj(n);
  for (const auto& e : traffic) {
    if (e.from == e.to || e.messages <= 0.0) continue;
    adj[e.from].push_back({e.to, e.messages});
    adj[e.to].push_back({e.from, e.messages});
  }
  // Cost of core i if it sat in slot s, the others staying where they are.
  auto cost_at = [&](uint32_t i, uint32_t s) {
    double c = 0.0;
    for (const auto& nb : adj[i]) c += nb.messages * distance(slots[s], slots[place[nb.core]], cost);
    return c;
  };
  auto weight_between = [&](uint32_t i, uint32_t k) {
    double w = 0.0;
    for (const auto& nb : adj[i])
      if (nb.core == k) w += nb.messages;
    return w;
  };
  for (uint32_t pass = 0; pass < max_passes; ++pass) {
    bool improved = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (adj[i].empty()) continue;
      const uint32_t a = place[i];
      const double here = cost_at(i, a);
      double best_delta = -1e-9 * (1.0 + here);   // require a real improvement: no cycling on ties
      int64_t best_slot = -1;
      for (uint32_t b = 0; b < ns; ++b) {
        if (b == a) continue;
        double delta = cost_at(i, b) - here;
        const int64_t k = occupant[b];
        if (k >= 0) {   // swap: k moves to a
          const uint32_t kk = static_cast<uint32_t>(k);
          delta += cost_at(kk, a) - cost_at(kk, b);
          delta += 2.0 * weight_between(i, kk) * distance(slots[a], slots[b], cost);   // the i-k edge keeps its length
        }
        if (delta < best_delta) {
          best_delta = delta;
          best_slot = b;
        }
      }
      if (best_slot < 0) continue;
      const uint32_t b = static_cast<uint32_t>(best_slot);
      const int64_t k = occupant[b];
      if (k >= 0) {
        place[static_cast<uint32_t>(k)] = a;
        occupant[a] = k;
      } else {
        occupant[a] = -1;
      }
      place[i] = b;
      occupant[b] = i;
      improved = true;
    }
    if (!improved) break;
  }
  return place;
}

}  // namespace spikemesh
