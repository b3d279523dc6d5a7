// The network-on-chip: a width x height mesh of routers (several chips tiled, model/routing.h), wired
// port to port with credit counters, stepped by one event-driven CycleScheduler. Cores (or testbench
// sinks) attach to the routers' local eject ports; in hosted mode the management core attaches to the
// extra local port of its router.
#pragma once

#include <systemc>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cycle_scheduler.h"
#include "router.h"
#include "routing.h"

namespace spikemesh {

class Noc : public sc_core::sc_module {
 public:
  // `management`: the management core's place (its router gets one more local port), or null.
  Noc(sc_core::sc_module_name name, const MeshGeometry& geometry, const RouterParams& params,
      const MeshGeometry::CorePlace* management = nullptr);

  const MeshGeometry& geometry() const { return geo_; }
  CycleScheduler& scheduler() { return scheduler_; }
  Router& router(uint32_t x, uint32_t y) { return *routers_[geo_.router_index(x, y)]; }
  Router& router_of_core(uint32_t core);
  const std::vector<std::unique_ptr<Router>>& routers() const { return routers_; }

  // Binds core `core`'s eject port to `receiver` with `slots` credits (or unlimited); returns the credit
  // counter the receiver gives slots back to.
  CreditReturn* attach(uint32_t core, FlitReceiver* receiver, uint32_t slots, bool unlimited = false);
  // The same for the local port `place` (a core's, or the management core's).
  CreditReturn* attach(const MeshGeometry::CorePlace& place, FlitReceiver* receiver, uint32_t slots,
                       bool unlimited = false);

  uint64_t last_grant_cycle() const;
  uint64_t buffered_flits() const;

 private:
  MeshGeometry geo_;
  RouterParams params_;
  CycleScheduler scheduler_;
  FlitPool pool_;
  std::vector<std::unique_ptr<Router>> routers_;
};

}  // namespace spikemesh
