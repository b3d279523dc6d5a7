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

// A component's counters as JSON members, every field under its report key, in field order.
template <class Counters>
void write_counters(JsonWriter& j, const Counters& c) {
  auto member = [&](const CounterField& f, uint64_t value) { j.value(f.key, value); };
  c.describe(member);
}
// report.json's `energy_j` object: `e`, priced from `c` with `table` (also `spikemesh price`'s output).
void write_energy(JsonWriter& j, const ChipCounters& c, const EnergyTable& table, const EnergyReport& e);
// The management core's counters (report.json, the FSDDIM blocks).
void write_management_counters(JsonWriter& j, const ManagementCounters& m);

// `extra`, when given, writes more members into the top-level object (the FSDDIM loop's per-image results);
// the last member is `critical_path` (critical_path_report.h) for the whole run, and `critical_extra`, when
// given, writes more members into it (the FSDDIM loop's per image and per DDIM step).
void write_report(std::ostream& os, const RunConfig& cfg, const Network& net, const ChipRunOutput& run,
                  const EnergyTable& table, const EnergyReport& energy,
                  const std::function<void(JsonWriter&)>& extra = {},
                  const std::function<void(JsonWriter&)>& critical_extra = {});
// How many bounding cores the critical_path sections list.
inline constexpr uint32_t kTopBoundingCores = 10;

}  // namespace spikemesh
