// report.json's critical_path section; see critical_path_report.h.
#include "critical_path_report.h"

#include <algorithm>
#include <map>

namespace spikemesh {

void write_critical_path_summary(JsonWriter& j, const std::vector<StepAttribution>& steps,
                                 const std::vector<std::string>& core_names,
                                 const std::vector<std::string>& core_populations, uint32_t top) {
  uint64_t total = 0;
  for (const StepAttribution& a : steps) total += a.total();
  j.value("timesteps", uint64_t{steps.size()}).value("cycles", total);
  j.begin_object("cycles_by_phase");
  StepAttribution::phases([&](const char* key, uint64_t StepAttribution::*m) {
    uint64_t sum = 0;
    for (const StepAttribution& a : steps) sum += a.*m;
    j.value(key, sum);
  });
  j.end_object();
  j.begin_object("timesteps_by_bounding_unit");
  for (BoundingUnit u : {BoundingUnit::Sweep, BoundingUnit::Output, BoundingUnit::Dendrite})
    j.value(to_string(u),
            uint64_t(std::count_if(steps.begin(), steps.end(), [&](const StepAttribution& a) { return a.unit == u; })));
  j.end_object();
  // Per bounding core: timesteps bound and their cycles (the whole timestep's, every phase).
  struct Bound {
    uint64_t timesteps = 0, cycles = 0;
  };
  std::map<uint32_t, Bound> by_core;
  for (const StepAttribution& a : steps) {
    Bound& b = by_core[a.bounding_core];
    ++b.timesteps;
    b.cycles += a.total();
  }
  std::map<std::string, Bound> by_population;
  for (const auto& [core, b] : by_core) {
    Bound& p = by_population[core_populations.at(core)];
    p.timesteps += b.timesteps;
    p.cycles += b.cycles;
  }
  j.begin_object("by_bounding_population");
  for (const auto& [label, b] : by_population)
    j.begin_object(label).value("timesteps", b.timesteps).value("cycles", b.cycles).end_object();
  j.end_object();
  std::vector<std::pair<uint32_t, Bound>> ranked(by_core.begin(), by_core.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second.cycles > b.second.cycles; });
  if (ranked.size() > top) ranked.resize(top);
  j.begin_array("top_bounding_cores");
  for (const auto& [core, b] : ranked)
    j.begin_object()
        .value("core", core_names.at(core))
        .value("populations", core_populations.at(core))
        .value("timesteps", b.timesteps)
        .value("cycles", b.cycles)
        .end_object();
  j.end_array();
}

}  // namespace spikemesh
