// Every counter of a chip at one moment, gathered in one walk over its cores, routers and management core:
// what the report, the energy pricing, the per-timestep trace and the FSDDIM loop's intervals read.
#pragma once

#include <string>
#include <vector>

#include "counters.h"

namespace spikemesh {

class Chip;

struct ChipSnapshot {
  std::vector<CoreCounters> cores;       // per core, by index (chip.core_<i>)
  std::vector<RouterCounters> routers;   // per router, in the mesh's order (chip.noc.router_<x>_<y>)
  bool hosted = false;                   // hosted mode: the management core's counters below
  ManagementCounters management;

  CoreCounters core_total() const;       // chip-wide sums (peaks: the largest)
  RouterCounters router_total() const;
  ChipSnapshot& operator-=(const ChipSnapshot& earlier);   // per component: the interval since `earlier`
};

ChipSnapshot snapshot(const Chip& chip);

// The components' hierarchical names, in snapshot order.
struct ChipComponentNames {
  std::vector<std::string> cores, routers;
};
ChipComponentNames component_names(const Chip& chip);

}  // namespace spikemesh
