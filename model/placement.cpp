// Placement by deterministic local search, and moving a compiled program's cores to their slots; see
// placement.h.
#include "placement.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>

#include "error.h"

namespace spikemesh {
namespace {

double distance(const SlotXY& a, const SlotXY& b, const PlacementCost& c) {
  return std::abs(a.x - b.x) * c.ew_weight + std::abs(a.y - b.y) * c.ns_weight;
}

struct Neighbour {
  uint32_t core;
  double messages;  // both directions summed: hop cost is symmetric
};

// The weighted median of coordinates: where a core minimises its summed |dx| (or |dy|) to its neighbours.
int32_t weighted_median(std::vector<std::pair<int32_t, double>>& v) {
  std::sort(v.begin(), v.end());
  double total = 0.0;
  for (const auto& e : v) total += e.second;
  double acc = 0.0;
  for (const auto& e : v) {
    acc += e.second;
    if (2.0 * acc >= total) return e.first;
  }
  return v.back().first;
}

// Slots by router: the candidates of a windowed search are the slots of the routers around a point.
struct SlotGrid {
  int32_t width = 0, height = 0;
  std::vector<std::vector<uint32_t>> at;  // per router (y * width + x): its slots
  explicit SlotGrid(const std::vector<SlotXY>& slots) {
    for (const auto& s : slots) {
      width = std::max(width, s.x + 1);
      height = std::max(height, s.y + 1);
    }
    at.resize(static_cast<size_t>(width) * height);
    for (uint32_t k = 0; k < slots.size(); ++k) at[static_cast<size_t>(slots[k].y) * width + slots[k].x].push_back(k);
  }
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

std::vector<uint32_t> place_min_hops(const std::vector<TrafficEdge>& traffic, uint32_t n,
                                     const std::vector<SlotXY>& slots, const PlacementCost& cost, uint32_t max_passes) {
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
  // Candidate slots of core i: every slot (exhaustive) on meshes of up to kExhaustiveSlots slots; above,
  // the slots of the routers within kWindow hops (each way) of the weighted median of i's neighbours, the
  // point that minimises i's own cost, so a pass costs O(cores x window) instead of O(cores x slots).
  const SlotGrid grid(slots);
  const bool windowed = ns > kExhaustiveSlots;
  std::vector<uint32_t> candidates;
  std::vector<std::pair<int32_t, double>> xs, ys;
  auto collect = [&](uint32_t i) {
    candidates.clear();
    if (!windowed) {
      for (uint32_t b = 0; b < ns; ++b) candidates.push_back(b);
      return;
    }
    xs.clear();
    ys.clear();
    for (const auto& nb : adj[i]) {
      xs.emplace_back(slots[place[nb.core]].x, nb.messages);
      ys.emplace_back(slots[place[nb.core]].y, nb.messages);
    }
    const int32_t mx = weighted_median(xs), my = weighted_median(ys);
    for (int32_t y = std::max(0, my - kWindow); y <= std::min(grid.height - 1, my + kWindow); ++y)
      for (int32_t x = std::max(0, mx - kWindow); x <= std::min(grid.width - 1, mx + kWindow); ++x)
        for (uint32_t b : grid.at[static_cast<size_t>(y) * grid.width + x]) candidates.push_back(b);
  };
  for (uint32_t pass = 0; pass < max_passes; ++pass) {
    bool improved = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (adj[i].empty()) continue;
      const uint32_t a = place[i];
      const double here = cost_at(i, a);
      double best_delta = -1e-9 * (1.0 + here);  // require a real improvement: no cycling on ties
      int64_t best_slot = -1;
      collect(i);
      for (uint32_t b : candidates) {
        if (b == a) continue;
        double delta = cost_at(i, b) - here;
        const int64_t k = occupant[b];
        if (k >= 0) {  // swap: k moves to a
          const uint32_t kk = static_cast<uint32_t>(k);
          delta += cost_at(kk, a) - cost_at(kk, b);
          delta += 2.0 * weight_between(i, kk) * distance(slots[a], slots[b], cost);  // the i-k edge keeps its length
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

std::vector<SlotXY> core_slots(const MeshGeometry& geo) {
  std::vector<SlotXY> slots(geo.cores());
  for (uint32_t c = 0; c < geo.cores(); ++c) {
    const auto p = geo.place(c);
    slots[c] = {static_cast<int32_t>(p.x), static_cast<int32_t>(p.y)};
  }
  return slots;
}

void locate(Destination& d, const MeshGeometry& geo) {
  const auto place = geo.place(d.core);
  d.x = static_cast<uint16_t>(place.x);
  d.y = static_cast<uint16_t>(place.y);
  d.local = static_cast<uint16_t>(place.local);
}

ChipProgram permute_cores(ChipProgram program, const std::vector<uint32_t>& slot_of_core) {
  const MeshGeometry& g = program.geometry;
  std::vector<uint32_t> slot(g.cores());
  std::vector<uint8_t> taken(g.cores(), 0);
  // Cores beyond slot_of_core are empty: they fill the slots left free, in order.
  for (uint32_t c = 0; c < slot_of_core.size(); ++c) {
    if (slot_of_core[c] >= g.cores() || taken[slot_of_core[c]])
      throw Error("compiler: placement maps core " + std::to_string(c) + " to slot " + std::to_string(slot_of_core[c]) +
                  ", which is outside the mesh or taken");
    slot[c] = slot_of_core[c];
    taken[slot[c]] = 1;
  }
  uint32_t free_slot = 0;
  for (uint32_t c = static_cast<uint32_t>(slot_of_core.size()); c < g.cores(); ++c) {
    if (program.cores[c].compartments != 0)
      throw Error("compiler: placement leaves used core " + std::to_string(c) + " unplaced");
    while (taken[free_slot]) ++free_slot;
    slot[c] = free_slot;
    taken[free_slot] = 1;
  }
  std::vector<CoreProgram> cores(g.cores());
  for (uint32_t c = 0; c < g.cores(); ++c) {
    CoreProgram& dst = cores[slot[c]];
    dst = std::move(program.cores[c]);
    for (Destination& d : dst.out) {
      d.core = slot[d.core];
      locate(d, g);
    }
  }
  program.cores = std::move(cores);
  for (auto& pl : program.placement)
    for (auto& x : pl) x.core = slot[x.core];
  return program;
}

}  // namespace spikemesh
