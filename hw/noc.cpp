// The network-on-chip; see noc.h.
#include "noc.h"

#include <algorithm>

namespace spikemesh {
namespace {
uint32_t opposite(uint32_t port) {
  switch (port) {
    case kPortNorth:
      return kPortSouth;
    case kPortSouth:
      return kPortNorth;
    case kPortEast:
      return kPortWest;
    default:
      return kPortEast;
  }
}
}  // namespace

Noc::Noc(sc_core::sc_module_name name, const MeshGeometry& geometry, const RouterParams& params,
         const MeshGeometry::CorePlace* management)
    : sc_module(name), geo_(geometry), params_(params), scheduler_("scheduler") {
  for (uint32_t y = 0; y < geo_.height(); ++y)
    for (uint32_t x = 0; x < geo_.width(); ++x) {
      const std::string n = "router_" + std::to_string(x) + "_" + std::to_string(y);
      const bool m = management && management->x == x && management->y == y;
      routers_.push_back(std::make_unique<Router>(n.c_str(), x, y, geo_, params_, scheduler_, pool_, m));
    }
  for (uint32_t y = 0; y < geo_.height(); ++y)
    for (uint32_t x = 0; x < geo_.width(); ++x)
      for (uint32_t p = 0; p < kPortLocal0; ++p) {
        if (!geo_.has_neighbour(x, y, p)) continue;
        const uint32_t nx = p == kPortEast ? x + 1 : p == kPortWest ? x - 1 : x;
        const uint32_t ny = p == kPortSouth ? y + 1 : p == kPortNorth ? y - 1 : y;
        Router& from = router(x, y);
        Router& to = router(nx, ny);
        from.connect_link(p, to, opposite(p), params_.input_buffer_flits);
        to.connect_input_credit(opposite(p), from.output_credit(p));
      }
}

Router& Noc::router_of_core(uint32_t core) {
  const auto p = geo_.place(core);
  return router(p.x, p.y);
}

CreditReturn* Noc::attach(uint32_t core, FlitReceiver* receiver, uint32_t slots, bool unlimited) {
  return attach(geo_.place(core), receiver, slots, unlimited);
}

CreditReturn* Noc::attach(const MeshGeometry::CorePlace& p, FlitReceiver* receiver, uint32_t slots, bool unlimited) {
  Router& r = router(p.x, p.y);
  r.connect_output(kPortLocal0 + p.local, receiver, slots, unlimited);
  return r.output_credit(kPortLocal0 + p.local);
}

uint64_t Noc::last_grant_cycle() const {
  uint64_t c = 0;
  for (const auto& r : routers_) c = std::max(c, r->last_grant_cycle());
  return c;
}

uint64_t Noc::buffered_flits() const {
  uint64_t n = 0;
  for (const auto& r : routers_) n += r->buffered_flits();
  return n;
}

}  // namespace spikemesh
