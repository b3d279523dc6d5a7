// Placement of logical cores (partitions of a network) onto the physical core slots of a mesh so that
// heavy spike traffic travels few hops: the search (a pure function of a traffic estimate) and applying its
// answer to a compiled program. The compiler reports the flit-hops of mesh order and of the optimised one.
#pragma once

#include <cstdint>
#include <vector>

#include "mapping.h"
#include "routing.h"

namespace spikemesh {

// Expected spike messages per timestep from one logical core to another (Loihi sends one message per
// destination core, so multicast is one edge per destination).
struct TrafficEdge {
  uint32_t from = 0, to = 0;
  double messages = 0.0;
};

// Where each physical slot sits: its router's mesh coordinates (slots of one router share them).
struct SlotXY {
  int32_t x = 0, y = 0;
};

struct PlacementCost {
  double ew_weight = 1.0;  // cost of one east-west hop (e.g. its latency or energy)
  double ns_weight = 1.0;  // cost of one north-south hop
};

// Weighted hops of all traffic when logical core i sits in slot place[i].
double traffic_hops(const std::vector<TrafficEdge>& traffic, const std::vector<uint32_t>& place,
                    const std::vector<SlotXY>& slots, const PlacementCost& cost = {});

// Mesh order: logical core i in slot i.
std::vector<uint32_t> place_mesh_order(uint32_t logical_cores);

// Deterministic local search from mesh order: moves a logical core to another slot (free, or swapping with
// its occupant) whenever that lowers the weighted hops, until no move helps or `max_passes` sweeps are done.
// Never worse than mesh order. `slots` may hold more slots than there are logical cores. On meshes of more
// than kExhaustiveSlots slots a core only tries the slots of the routers within kWindow hops of the
// weighted median of its neighbours (where its own cost is lowest), so a pass is linear in the cores.
constexpr uint32_t kExhaustiveSlots = 1024;
constexpr int32_t kWindow = 3;
std::vector<uint32_t> place_min_hops(const std::vector<TrafficEdge>& traffic, uint32_t logical_cores,
                                     const std::vector<SlotXY>& slots, const PlacementCost& cost = {},
                                     uint32_t max_passes = 50);

// The slots of a mesh: core slot c at its router's coordinates (geometry.place(c)).
std::vector<SlotXY> core_slots(const MeshGeometry& geo);

// Points a routing entry at the router and local port of its destination core (geometry.place(d.core)).
void locate(Destination& d, const MeshGeometry& geo);

// Moves logical core c of `program` to slot slot_of_core[c]: core tables, every Destination's core, x, y,
// local, and the placement lists. slot_of_core must be injective into the mesh's cores.
ChipProgram permute_cores(ChipProgram program, const std::vector<uint32_t>& slot_of_core);

}  // namespace spikemesh
