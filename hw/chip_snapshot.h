// Every counter of a chip at one moment, gathered in one walk over its cores, routers and management core:
// what the report, the energy pricing, the per-timestep trace and the FSDDIM loop's intervals read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "counters.h"
#include "critical_path.h"
#include "mapping.h"
#include "network.h"

namespace spikemesh {

class Chip;

struct ChipSnapshot {
  std::vector<CoreCounters> cores;      // per core, by index (chip.core_<i>)
  std::vector<RouterCounters> routers;  // per router, in the mesh's order (chip.noc.router_<x>_<y>)
  bool hosted = false;                  // hosted mode: the management core's counters below
  ManagementCounters management;

  CoreCounters core_total() const;  // chip-wide sums (peaks: the largest)
  RouterCounters router_total() const;
  ChipSnapshot& operator-=(const ChipSnapshot& earlier);  // per component: the interval since `earlier`
};

ChipSnapshot snapshot(const Chip& chip);

// The components' hierarchical names, in snapshot order.
struct ChipComponentNames {
  std::vector<std::string> cores, routers;
  std::vector<std::string> core_populations;  // per core: its populations, '+'-joined in segment order
};
// The populations a core holds, '+'-joined in segment order (empty for an unused core).
std::string core_population_label(const Network& net, const CoreProgram& core);
ChipComponentNames component_names(const Chip& chip);

// Per-timestep record of the whole chip while it is traced (trace.h5, sim/trace_output.h): every counter,
// cumulative, after each timestep, and the spike raster of the timesteps inside the trace window.
class ChipTimestepRecorder {
 public:
  // After a timestep's barrier: its counters, and when `in_window` its raster, row `row` of chip.result().
  void record(const Chip& chip, bool in_window, uint64_t row);

  const ChipComponentNames& names() const { return names_; }
  const std::vector<ChipSnapshot>& snapshots() const { return snapshots_; }
  const std::vector<StepAttribution>& attribution() const { return attribution_; }  // per timestep
  // Spike raster of the window's timesteps: per window step, per population, one byte per neuron.
  const std::vector<std::vector<std::vector<uint8_t>>>& raster() const { return raster_; }

 private:
  ChipComponentNames names_;
  std::vector<ChipSnapshot> snapshots_;
  std::vector<StepAttribution> attribution_;
  std::vector<std::vector<std::vector<uint8_t>>> raster_;
};

}  // namespace spikemesh
