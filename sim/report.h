// report.json of a chip run: cycles, timesteps, latency, energy with its breakdown, every counter by
// hierarchical name, and chip and mapping summaries. Layout documented in docs/architecture.md.
#pragma once

#include "json_writer.h"

#include <functional>
#include <ostream>
#include <string>

#include "chip_run.h"
#include "config.h"
#include "energy.h"
#include "network.h"

namespace spikemesh {

// The management core's counters as JSON members (report.json, the FSDDIM blocks).
void write_management_counters(JsonWriter& j, const ManagementCounters& m);

// `extra`, when given, writes more members into the top-level object (the FSDDIM loop's per-image results).
void write_report(std::ostream& os, const RunConfig& cfg, const Network& net, const ChipRunOutput& run,
                  const EnergyTable& table, const EnergyReport& energy,
                  const std::function<void(JsonWriter&)>& extra = {});

}  // namespace spikemesh
