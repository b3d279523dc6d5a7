// Mesh geometry, XY routing, link latencies, round-robin arbitration, credits and barrier latency
// (model/routing.h): hand-computed values.
#include <gtest/gtest.h>

#include "error.h"
#include "routing.h"

using namespace spikemesh;

namespace {
// 2 x 2 chips, each 2 x 1 routers with 2 cores: a 4 x 2 router mesh, 16 cores.
MeshGeometry four_chips() { return MeshGeometry{2, 2, 2, 1, 2}; }
}  // namespace

TEST(MeshGeometry, CoresAreNumberedChipByChipThenRouterThenLocalPort) {
  const MeshGeometry g = four_chips();
  EXPECT_EQ(g.width(), 4u);
  EXPECT_EQ(g.height(), 2u);
  EXPECT_EQ(g.cores(), 16u);
  EXPECT_EQ(g.ports(), 6u);
  struct Case {
    uint32_t core, x, y, local;
  };
  for (const Case c : {Case{0, 0, 0, 0}, Case{1, 0, 0, 1}, Case{2, 1, 0, 0}, Case{3, 1, 0, 1}, Case{4, 2, 0, 0},
                       Case{7, 3, 0, 1}, Case{8, 0, 1, 0}, Case{13, 2, 1, 1}, Case{15, 3, 1, 1}}) {
    const auto p = g.place(c.core);
    EXPECT_EQ(p.x, c.x) << "core " << c.core;
    EXPECT_EQ(p.y, c.y) << "core " << c.core;
    EXPECT_EQ(p.local, c.local) << "core " << c.core;
    EXPECT_EQ(g.core_at(c.x, c.y, c.local), c.core);
  }
  EXPECT_EQ(g.chip_of_router(3, 1), 3u);
}

TEST(MeshGeometry, LinksCrossingAChipBoundaryAreChipLinks) {
  const MeshGeometry g = four_chips();
  EXPECT_EQ(g.link(0, 0, kPortEast), LinkKind::EastWest);      // within chip 0
  EXPECT_EQ(g.link(1, 0, kPortEast), LinkKind::ChipEastWest);  // chip 0 -> chip 1
  EXPECT_EQ(g.link(2, 0, kPortWest), LinkKind::ChipEastWest);  // chip 1 -> chip 0
  EXPECT_EQ(g.link(3, 0, kPortWest), LinkKind::EastWest);
  EXPECT_EQ(g.link(0, 0, kPortSouth), LinkKind::ChipNorthSouth);  // one router row per chip
  EXPECT_EQ(g.link(0, 1, kPortNorth), LinkKind::ChipNorthSouth);
  const MeshGeometry one{1, 1, 3, 3, 1};
  EXPECT_EQ(one.link(1, 1, kPortSouth), LinkKind::NorthSouth);
  EXPECT_TRUE(one.has_neighbour(1, 1, kPortNorth));
  EXPECT_FALSE(one.has_neighbour(0, 0, kPortNorth));
  EXPECT_FALSE(one.has_neighbour(2, 2, kPortEast));
}

TEST(RouteXY, GoesAlongXFirstThenYThenEjects) {
  EXPECT_EQ(route_xy(0, 0, {2, 1, 0}), kPortEast);
  EXPECT_EQ(route_xy(3, 0, {2, 1, 0}), kPortWest);
  EXPECT_EQ(route_xy(2, 0, {2, 1, 0}), kPortSouth);
  EXPECT_EQ(route_xy(2, 3, {2, 1, 0}), kPortNorth);
  EXPECT_EQ(route_xy(2, 1, {2, 1, 1}), kPortLocal0 + 1);
}

TEST(ZeroLoadLatency, SumsInjectLinksAndEject) {
  RouterParams r;  // inject 2, ew 8, ns 13, chip 200, eject 2
  const MeshGeometry g{1, 1, 8, 4, 4};
  // (0,0) -> (3,2): 3 east-west and 2 north-south links.
  EXPECT_EQ(zero_load_latency_cycles(g, r, g.core_at(0, 0, 0), g.core_at(3, 2, 1)), 2u + 3 * 8 + 2 * 13 + 2);
  EXPECT_EQ(hop_count(g, g.core_at(0, 0, 0), g.core_at(3, 2, 1)), 5u);
  // Same router: inject and eject only (Davies 2018's within-tile latency, 2.1 ns ~ 4 cycles at 2 GHz).
  EXPECT_EQ(zero_load_latency_cycles(g, r, 0, 1), 4u);
  // A chip crossing replaces one hop's latency by the chip link's.
  const MeshGeometry two{2, 1, 2, 1, 1};
  EXPECT_EQ(zero_load_latency_cycles(two, r, two.core_at(0, 0, 0), two.core_at(3, 0, 0)), 2u + 8 + 200 + 8 + 2);
}

TEST(ZeroLoadLatency, ChipLinkPartCountsOnlyTheChipCrossingLinks) {
  RouterParams r;
  r.chip_link_cycles = 150;
  const MeshGeometry two{2, 2, 2, 1, 1};  // 2 x 2 chips of 2 x 1 routers
  // (0,0) -> (3,1): east over (0,0)-(1,0) on chip, (1,0)-(2,0) across, (2,0)-(3,0) on chip, then south across.
  EXPECT_EQ(chip_link_latency_cycles(two, r, two.core_at(0, 0, 0), two.core_at(3, 1, 0)), 2u * 150);
  EXPECT_EQ(zero_load_latency_cycles(two, r, two.core_at(0, 0, 0), two.core_at(3, 1, 0)), 2u + 8 + 150 + 8 + 150 + 2);
  // Within one chip: none.
  EXPECT_EQ(chip_link_latency_cycles(two, r, two.core_at(0, 0, 0), two.core_at(1, 0, 0)), 0u);
}

TEST(RoundRobin, GrantsTheFirstRequesterAfterTheLastGrant) {
  EXPECT_EQ(round_robin(0b1011, 0, 8), 1);
  EXPECT_EQ(round_robin(0b1011, 1, 8), 3);
  EXPECT_EQ(round_robin(0b1011, 3, 8), 0);   // wraps around
  EXPECT_EQ(round_robin(0b1011, -1, 8), 0);  // nothing granted yet
  EXPECT_EQ(round_robin(0, 2, 8), -1);
  EXPECT_EQ(round_robin(0b100000, 0, 5), -1);  // input 5 does not exist with 5 inputs
  EXPECT_EQ(round_robin(0b10001, 4, 5), 0);
}

TEST(RoundRobin, ServesEveryPersistentRequesterInTurn) {
  int last = -1;
  std::vector<int> order;
  for (int k = 0; k < 8; ++k) order.push_back(last = round_robin(0b110101, last, 6));
  EXPECT_EQ(order, (std::vector<int>{0, 2, 4, 5, 0, 2, 4, 5}));
}

TEST(CreditCounter, AReturnedSlotIsUsableFromItsCycleOnNotBefore) {
  CreditCounter c(2);
  EXPECT_TRUE(c.available(0));
  c.consume();
  c.consume();
  EXPECT_FALSE(c.available(0));
  EXPECT_EQ(c.in_use(0), 2u);
  EXPECT_EQ(c.next_return(), ~uint64_t{0});
  c.give_back(10);
  c.give_back(12);
  EXPECT_EQ(c.next_return(), 10u);
  EXPECT_FALSE(c.available(9));
  EXPECT_TRUE(c.available(10));
  EXPECT_EQ(c.in_use(11), 1u);
  EXPECT_EQ(c.in_use(12), 0u);
  CreditCounter u(0, true);
  u.consume();
  EXPECT_TRUE(u.available(0));
}

TEST(BarrierLatency, WavefrontOutAndBackMatchesDavies2018Table2) {
  const RouterParams r;
  const BarrierParams b;
  // One tile: the base (113 ns at 2 GHz).
  EXPECT_EQ(barrier_latency_cycles(MeshGeometry{1, 1, 1, 1, 4}, r, b), 226u);
  // 8 x 4 tiles: 226 + 2 * (7 * (8 + 26) + 3 * (13 + 26)) = 936 cycles = 468 ns; Table 2 says 465 ns.
  const uint64_t c = barrier_latency_cycles(MeshGeometry{1, 1, 8, 4, 4}, r, b);
  EXPECT_EQ(c, 936u);
  EXPECT_NEAR(c / 2.0, 465.0, 465.0 * 0.01);
  // Chip links count with their own latency: 2 x 1 chips of 1 x 1 router = one chip link.
  EXPECT_EQ(barrier_latency_cycles(MeshGeometry{2, 1, 1, 1, 1}, r, b), 226u + 2 * (200 + 26));
}

TEST(Routing, BarrierOverTheUsedSpanCountsOnlyTheRoutersOnItsPath) {
  const RouterParams r;
  const BarrierParams b;
  const MeshGeometry g{1, 1, 8, 4, 4};
  // The whole mesh as a span is the mesh-wide barrier.
  EXPECT_EQ(barrier_latency_cycles(g, r, b, RouterSpan{8, 4}), 936u);
  // 8 x 2 routers (sanafe-case1's 40 cores in mesh order): 226 + 2 * (7 * (8 + 26) + 1 * (13 + 26)) = 780.
  EXPECT_EQ(barrier_latency_cycles(g, r, b, RouterSpan{8, 2}), 780u);
  // 1 x 3: only north-south links: 226 + 2 * 2 * (13 + 26) = 382.
  EXPECT_EQ(barrier_latency_cycles(g, r, b, RouterSpan{1, 3}), 382u);
  EXPECT_EQ(barrier_latency_cycles(g, r, b, RouterSpan{1, 1}), 226u);
  EXPECT_THROW(barrier_latency_cycles(g, r, b, RouterSpan{9, 1}), Error);
  EXPECT_THROW(barrier_latency_cycles(g, r, b, RouterSpan{0, 1}), Error);
}
