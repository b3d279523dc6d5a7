// report.json's `critical_path` section: what ended each timestep (model/critical_path.h), summed over a run or
// an interval of one: cycles by phase, timesteps by bounding unit, cycles by bounding population (the
// populations of the bounding core), and the cores that bound the most cycles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "critical_path.h"
#include "json_writer.h"

namespace spikemesh {

// Members of the current JSON object for the timesteps `steps` (their cycles add up to `cycles` by phase);
// `core_names` and `core_populations` are per core; `top` cores are listed (fewer when fewer bound steps).
void write_critical_path_summary(JsonWriter& j, const std::vector<StepAttribution>& steps,
                                 const std::vector<std::string>& core_names,
                                 const std::vector<std::string>& core_populations, uint32_t top);

}  // namespace spikemesh
