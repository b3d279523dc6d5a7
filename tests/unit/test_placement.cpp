// Placement: weighted hop counts and the local search that shortens heavy traffic.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "placement.h"

using namespace spikemesh;

namespace {

// One core per router on a w x h mesh, mesh order = row-major.
std::vector<SlotXY> grid(int w, int h, int cores_per_router = 1) {
  std::vector<SlotXY> s;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < cores_per_router; ++c) s.push_back({x, y});
  return s;
}

}  // namespace

TEST(Placement, TrafficHopsWeighsEastWestAndNorthSouth) {
  const auto slots = grid(3, 3);
  const std::vector<TrafficEdge> t = {{0, 8, 2.0}, {8, 0, 1.0}, {4, 4, 5.0}};
  // 0 at (0,0), 8 at (2,2): 2 EW + 2 NS hops each way.
  EXPECT_DOUBLE_EQ(traffic_hops(t, place_mesh_order(9), slots), 3.0 * 4);
  EXPECT_DOUBLE_EQ(traffic_hops(t, place_mesh_order(9), slots, PlacementCost{1.0, 1.5}), 3.0 * (2 + 3));
}

TEST(Placement, HeavyPairEndsOnOneRouterOrNeighbours) {
  // 4 routers in a row, 1 core each: mesh order puts the heavy pair 0 <-> 3 three hops apart.
  const auto slots = grid(4, 1);
  const std::vector<TrafficEdge> t = {{0, 3, 100.0}, {0, 1, 1.0}, {1, 2, 1.0}};
  EXPECT_DOUBLE_EQ(traffic_hops(t, place_mesh_order(4), slots), 300.0 + 1 + 1);
  const auto p = place_min_hops(t, 4, slots);
  // Optimum: a chain 3-0-1-2 (or its mirror) costs 100 + 1 + 1.
  EXPECT_DOUBLE_EQ(traffic_hops(t, p, slots), 102.0);
}

TEST(Placement, SharedRouterCostsNoHops) {
  const auto slots = grid(2, 1, 2);  // 2 routers x 2 cores
  const std::vector<TrafficEdge> t = {{0, 2, 10.0}, {1, 3, 10.0}};
  EXPECT_DOUBLE_EQ(traffic_hops(t, place_mesh_order(4), slots), 20.0);
  EXPECT_DOUBLE_EQ(traffic_hops(t, place_min_hops(t, 4, slots), slots), 0.0);
}

TEST(Placement, UsesFreeSlotsAndNeverLosesToMeshOrder) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<uint32_t> core(0, 39);
  std::uniform_real_distribution<double> msgs(0.1, 10.0);
  std::vector<TrafficEdge> t;
  for (int k = 0; k < 200; ++k) t.push_back({core(rng), core(rng), msgs(rng)});
  const auto slots = grid(8, 8);  // 64 slots for 40 logical cores
  const auto p = place_min_hops(t, 40, slots);
  std::vector<int> used(64, 0);
  for (auto s : p) ASSERT_EQ(used[s]++, 0) << "slot " << s << " used twice";
  const double before = traffic_hops(t, place_mesh_order(40), slots), after = traffic_hops(t, p, slots);
  EXPECT_LT(after, 0.8 * before);
  EXPECT_EQ(p, place_min_hops(t, 40, slots));  // deterministic
}

TEST(Placement, LargeMeshesSearchAWindowAroundTheNeighboursAndStillShortenAChain) {
  // A chain of 1200 cores, each sending 1 message to the next, scattered by a seeded shuffle over a
  // 40 x 40 mesh (1600 slots > kExhaustiveSlots): the windowed search must undo most of the scatter.
  const auto slots = grid(40, 40);
  ASSERT_GT(slots.size(), kExhaustiveSlots);
  std::vector<uint32_t> order(1200);
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(5));
  std::vector<TrafficEdge> t;
  for (uint32_t k = 0; k + 1 < order.size(); ++k) t.push_back({order[k], order[k + 1], 1.0});
  const auto p = place_min_hops(t, 1200, slots);
  std::vector<int> used(slots.size(), 0);
  for (auto s : p) ASSERT_EQ(used[s]++, 0) << "slot " << s << " used twice";
  const double before = traffic_hops(t, place_mesh_order(1200), slots), after = traffic_hops(t, p, slots);
  EXPECT_GT(before, 1199 * 10.0);  // random pairs on a 40 x 40 mesh: about 26 hops apart on average
  EXPECT_LT(after, 0.25 * before) << before << " -> " << after;
  EXPECT_EQ(p, place_min_hops(t, 1200, slots));  // deterministic
}

TEST(Placement, CoreSlotsAndDestinationsSitAtTheirRouterAndLocalPort) {
  // 2 x 2 routers of 2 cores each: core 5 is the second core of router (0, 1).
  const MeshGeometry geo{1, 1, 2, 2, 2};
  const auto slots = core_slots(geo);
  ASSERT_EQ(slots.size(), 8u);
  EXPECT_EQ(slots[5].x, 0);
  EXPECT_EQ(slots[5].y, 1);
  EXPECT_EQ(slots[3].x, 1);
  EXPECT_EQ(slots[3].y, 0);
  Destination d;
  d.core = 5;
  locate(d, geo);
  EXPECT_EQ(d.x, 0u);
  EXPECT_EQ(d.y, 1u);
  EXPECT_EQ(d.local, 1u);
}
