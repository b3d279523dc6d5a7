// Mesh geometry, XY dimension-order routing, link latencies, round-robin arbitration, credit counters and
// the barrier's wavefront latency: the per-cycle logic of the network-on-chip as pure functions. The
// SystemC router (hw/router.*) only sequences these over cycles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chip_params.h"

namespace spikemesh {

// Router ports: the four mesh directions, then one local port per core of the tile.
// x grows to the east, y grows to the south (row-major order of the mesh).
enum : uint32_t { kPortNorth = 0, kPortEast = 1, kPortSouth = 2, kPortWest = 3, kPortLocal0 = 4 };
const char* port_name(uint32_t port);  // "north", ..., "local" (for local ports)

// What kind of wire a flit crosses when it leaves a router through a port.
enum class LinkKind : uint8_t { EastWest, NorthSouth, ChipEastWest, ChipNorthSouth, Eject };

// Several chips of routers_x x routers_y routers tiled into one mesh of width() x height() routers.
// Cores are numbered in mesh order: chip by chip (row-major), router by router within a chip (row-major),
// then the local port.
struct MeshGeometry {
  uint32_t chips_x = 1, chips_y = 1, routers_x = 1, routers_y = 1, cores_per_router = 1;

  static MeshGeometry from(const MeshParams& m) {
    return {m.chips_x, m.chips_y, m.routers_x, m.routers_y, m.cores_per_router};
  }
  uint32_t width() const { return chips_x * routers_x; }
  uint32_t height() const { return chips_y * routers_y; }
  uint32_t routers() const { return width() * height(); }
  uint32_t cores() const { return routers() * cores_per_router; }
  uint32_t ports() const { return kPortLocal0 + cores_per_router; }
  uint32_t router_index(uint32_t x, uint32_t y) const { return y * width() + x; }  // row-major, global

  struct CorePlace {
    uint32_t x, y, local;
  };
  CorePlace place(uint32_t core) const;  // global router coordinates of a core
  uint32_t core_at(uint32_t x, uint32_t y, uint32_t local) const;
  uint32_t chip_of_router(uint32_t x, uint32_t y) const { return (y / routers_y) * chips_x + x / routers_x; }
  // The link leaving router (x, y) through `port` (a mesh port that exists: the neighbour is inside).
  LinkKind link(uint32_t x, uint32_t y, uint32_t port) const;
  bool has_neighbour(uint32_t x, uint32_t y, uint32_t port) const;
};

// Where the management core sits: its router and its local port, the one after the cores' ports
// (local = cores_per_router). Throws Error naming chip.management.router_x / router_y when the router
// is outside the mesh.
MeshGeometry::CorePlace management_place(const MeshGeometry& g, const ManagementParams& m);

// XY dimension-order routing: first along x to the destination column, then along y, then eject.
uint32_t route_xy(uint32_t x, uint32_t y, const MeshGeometry::CorePlace& dest);

// Cycles from leaving a router through a link of this kind to being eligible at the next router (or,
// for Eject, to arriving in the core's input FIFO).
uint32_t link_latency_cycles(const RouterParams& r, LinkKind kind);

// Zero-load latency of one message from core `src` to core `dst`: inject + the links of the XY path +
// eject. A message emitted at cycle c reaches the destination's input FIFO at c + this, not before.
uint64_t zero_load_latency_cycles(const MeshGeometry& g, const RouterParams& r, uint32_t src, uint32_t dst);
// The part of that latency spent on chip-to-chip links (chip_link_cycles per chip-crossing link).
uint64_t chip_link_latency_cycles(const MeshGeometry& g, const RouterParams& r, uint32_t src, uint32_t dst);
// The same from a local port that is not a core's (the management core's, management_place()).
uint64_t zero_load_latency_cycles(const MeshGeometry& g, const RouterParams& r, const MeshGeometry::CorePlace& src,
                                  uint32_t dst);
uint64_t chip_link_latency_cycles(const MeshGeometry& g, const RouterParams& r, const MeshGeometry::CorePlace& src,
                                  uint32_t dst);
uint32_t hop_count(const MeshGeometry& g, uint32_t src, uint32_t dst);  // router-to-router links on the path

// Round-robin arbiter: grants the first requester after `last` (cyclically over n inputs); -1 if none.
// `requests` has bit i set when input i requests; n <= 32.
inline int round_robin(uint32_t requests, int last, uint32_t n) {
  requests &= n >= 32 ? ~0u : (1u << n) - 1;
  if (!requests) return -1;
  // The first requester after `last`, else the first from 0 (wrap-around).
  const uint32_t after = last < 0 || last >= 31 ? 0u : requests & ~((2u << last) - 1);
  return __builtin_ctz(after ? after : requests);
}

// Credit-based flow control for one link: the sender holds one credit per free slot of the receiver's
// buffer. Sending consumes a credit; the receiver gives it back when the flit leaves its buffer, usable
// from a given cycle on (the cycle after it left: a slot freed in cycle t is visible to the sender at
// t + 1, so the outcome never depends on the order routers are evaluated within a cycle).
class CreditCounter {
 public:
  CreditCounter() = default;
  explicit CreditCounter(uint32_t capacity, bool unlimited = false);
  bool available(uint64_t now) {  // applies the returns usable by `now`
    if (unlimited_) return true;
    while (count_ > 0 && returns_[head_] <= now) {
      if (++head_ == capacity_) head_ = 0;
      --count_;
      ++credits_;
    }
    return credits_ > 0;
  }
  void consume() {  // requires available(now)
    if (!unlimited_) --credits_;
  }
  void give_back(uint64_t usable_at) {  // cycles must be non-decreasing
    if (unlimited_) return;
    const uint32_t tail = head_ + count_;
    returns_[tail >= capacity_ ? tail - capacity_ : tail] = usable_at;
    ++count_;
  }
  uint32_t capacity() const { return capacity_; }
  uint32_t in_use(uint64_t now);  // slots reserved at the receiver at `now`
  // The earliest cycle a pending return becomes usable (~0 when none is pending).
  uint64_t next_return() const { return count_ ? returns_[head_] : ~uint64_t{0}; }
  bool unlimited() const { return unlimited_; }

 private:
  uint32_t capacity_ = 0, credits_ = 0;
  bool unlimited_ = false;
  std::vector<uint64_t> returns_;  // ring of pending returns (at most capacity_)
  uint32_t head_ = 0, count_ = 0;
};

// Barrier latency: a wavefront from router (0, 0) out to the farthest router and a second wavefront
// back (patent US10810488B2, docs/sources.md#barrier): base + 2 * sum over the XY path to (width-1, height-1) of
// (link latency + router_cycles).
uint64_t barrier_latency_cycles(const MeshGeometry& g, const RouterParams& r, const BarrierParams& b);

// The routers a barrier wavefront covers: the rectangle (0, 0) .. (width - 1, height - 1).
struct RouterSpan {
  uint32_t width = 1, height = 1;
};
// The same over a span inside the mesh (BarrierParams::used_routers_only): the XY path to
// (span.width - 1, span.height - 1). Throws when the span does not fit the mesh.
uint64_t barrier_latency_cycles(const MeshGeometry& g, const RouterParams& r, const BarrierParams& b, RouterSpan span);

}  // namespace spikemesh
