// Mesh geometry, XY routing, arbitration, credits and barrier latency; see routing.h.
#include "routing.h"

#include <cassert>
#include <cstdlib>

#include "error.h"

namespace spikemesh {

const char* port_name(uint32_t port) {
  switch (port) {
    case kPortNorth:
      return "north";
    case kPortEast:
      return "east";
    case kPortSouth:
      return "south";
    case kPortWest:
      return "west";
    default:
      return "local";
  }
}

MeshGeometry::CorePlace MeshGeometry::place(uint32_t core) const {
  const uint32_t per_router = cores_per_router;
  const uint32_t per_chip = routers_x * routers_y * per_router;
  const uint32_t chip = core / per_chip, in_chip = core % per_chip;
  const uint32_t router = in_chip / per_router;
  return {(chip % chips_x) * routers_x + router % routers_x, (chip / chips_x) * routers_y + router / routers_x,
          in_chip % per_router};
}

uint32_t MeshGeometry::core_at(uint32_t x, uint32_t y, uint32_t local) const {
  const uint32_t chip = (y / routers_y) * chips_x + x / routers_x;
  const uint32_t router = (y % routers_y) * routers_x + x % routers_x;
  return (chip * routers_x * routers_y + router) * cores_per_router + local;
}

bool MeshGeometry::has_neighbour(uint32_t x, uint32_t y, uint32_t port) const {
  switch (port) {
    case kPortNorth:
      return y > 0;
    case kPortSouth:
      return y + 1 < height();
    case kPortWest:
      return x > 0;
    case kPortEast:
      return x + 1 < width();
    default:
      return false;
  }
}

LinkKind MeshGeometry::link(uint32_t x, uint32_t y, uint32_t port) const {
  switch (port) {
    case kPortEast:
      return (x + 1) % routers_x == 0 ? LinkKind::ChipEastWest : LinkKind::EastWest;
    case kPortWest:
      return x % routers_x == 0 ? LinkKind::ChipEastWest : LinkKind::EastWest;
    case kPortSouth:
      return (y + 1) % routers_y == 0 ? LinkKind::ChipNorthSouth : LinkKind::NorthSouth;
    case kPortNorth:
      return y % routers_y == 0 ? LinkKind::ChipNorthSouth : LinkKind::NorthSouth;
    default:
      return LinkKind::Eject;
  }
}

uint32_t route_xy(uint32_t x, uint32_t y, const MeshGeometry::CorePlace& dest) {
  if (dest.x > x) return kPortEast;
  if (dest.x < x) return kPortWest;
  if (dest.y > y) return kPortSouth;
  if (dest.y < y) return kPortNorth;
  return kPortLocal0 + dest.local;
}

uint32_t link_latency_cycles(const RouterParams& r, LinkKind kind) {
  switch (kind) {
    case LinkKind::EastWest:
      return r.hop_ew_cycles;
    case LinkKind::NorthSouth:
      return r.hop_ns_cycles;
    case LinkKind::ChipEastWest:
    case LinkKind::ChipNorthSouth:
      return r.chip_link_cycles;
    case LinkKind::Eject:
      return r.eject_cycles;
  }
  return 0;
}

namespace {
// Walks the XY path from the local port `s` to core `dst` and adds up inject + the latency of each link for
// which `counted(kind)` holds.
template <class Counted>
uint64_t path_latency_cycles(const MeshGeometry& g, const RouterParams& r, const MeshGeometry::CorePlace& s,
                             uint32_t dst, Counted counted, uint64_t inject) {
  const auto d = g.place(dst);
  uint64_t cycles = inject;
  uint32_t x = s.x, y = s.y;
  for (;;) {
    const uint32_t port = route_xy(x, y, d);
    const LinkKind kind = g.link(x, y, port);
    if (counted(kind)) cycles += link_latency_cycles(r, kind);
    switch (port) {
      case kPortEast:
        ++x;
        break;
      case kPortWest:
        --x;
        break;
      case kPortSouth:
        ++y;
        break;
      case kPortNorth:
        --y;
        break;
      default:
        return cycles;
    }
  }
}
}  // namespace

uint64_t zero_load_latency_cycles(const MeshGeometry& g, const RouterParams& r, const MeshGeometry::CorePlace& src,
                                  uint32_t dst) {
  return path_latency_cycles(
      g, r, src, dst, [](LinkKind) { return true; }, r.inject_cycles);
}

uint64_t chip_link_latency_cycles(const MeshGeometry& g, const RouterParams& r, const MeshGeometry::CorePlace& src,
                                  uint32_t dst) {
  return path_latency_cycles(
      g, r, src, dst, [](LinkKind k) { return k == LinkKind::ChipEastWest || k == LinkKind::ChipNorthSouth; }, 0);
}

uint64_t zero_load_latency_cycles(const MeshGeometry& g, const RouterParams& r, uint32_t src, uint32_t dst) {
  return zero_load_latency_cycles(g, r, g.place(src), dst);
}

uint64_t chip_link_latency_cycles(const MeshGeometry& g, const RouterParams& r, uint32_t src, uint32_t dst) {
  return chip_link_latency_cycles(g, r, g.place(src), dst);
}

MeshGeometry::CorePlace management_place(const MeshGeometry& g, const ManagementParams& m) {
  if (m.router_x >= g.width())
    throw Error("chip.management.router_x = " + std::to_string(m.router_x) + ": outside the mesh (routers x 0.." +
                std::to_string(g.width() - 1) + ": chips_x " + std::to_string(g.chips_x) + " x routers_x " +
                std::to_string(g.routers_x) + ")");
  if (m.router_y >= g.height())
    throw Error("chip.management.router_y = " + std::to_string(m.router_y) + ": outside the mesh (routers y 0.." +
                std::to_string(g.height() - 1) + ": chips_y " + std::to_string(g.chips_y) + " x routers_y " +
                std::to_string(g.routers_y) + ")");
  return {m.router_x, m.router_y, g.cores_per_router};
}

uint32_t hop_count(const MeshGeometry& g, uint32_t src, uint32_t dst) {
  const auto s = g.place(src), d = g.place(dst);
  return static_cast<uint32_t>(std::abs(int64_t{s.x} - d.x) + std::abs(int64_t{s.y} - d.y));
}

CreditCounter::CreditCounter(uint32_t capacity, bool unlimited)
    : capacity_(capacity), credits_(capacity), unlimited_(unlimited), returns_(unlimited ? 0 : capacity) {}

uint32_t CreditCounter::in_use(uint64_t now) {
  if (unlimited_) return 0;
  available(now);
  return capacity_ - credits_;
}

uint64_t barrier_latency_cycles(const MeshGeometry& g, const RouterParams& r, const BarrierParams& b) {
  return barrier_latency_cycles(g, r, b, RouterSpan{g.width(), g.height()});
}

uint64_t barrier_latency_cycles(const MeshGeometry& g, const RouterParams& r, const BarrierParams& b, RouterSpan span) {
  if (span.width < 1 || span.height < 1 || span.width > g.width() || span.height > g.height())
    throw Error("barrier span " + std::to_string(span.width) + " x " + std::to_string(span.height) +
                " routers: expected 1 x 1 up to the mesh, " + std::to_string(g.width()) + " x " +
                std::to_string(g.height()));
  uint64_t one_way = 0;
  for (uint32_t x = 0; x + 1 < span.width; ++x)
    one_way += link_latency_cycles(r, g.link(x, 0, kPortEast)) + b.router_cycles;
  for (uint32_t y = 0; y + 1 < span.height; ++y)
    one_way += link_latency_cycles(r, g.link(span.width - 1, y, kPortSouth)) + b.router_cycles;
  return b.base_cycles + 2 * one_way;
}

}  // namespace spikemesh
