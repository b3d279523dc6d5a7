// One walk over the chip's components; see chip_snapshot.h.
#include "chip_snapshot.h"

#include <algorithm>
#include <utility>

#include "chip.h"

namespace spikemesh {

CoreCounters ChipSnapshot::core_total() const {
  CoreCounters t;
  for (const auto& c : cores) t += c;
  return t;
}

RouterCounters ChipSnapshot::router_total() const {
  RouterCounters t;
  for (const auto& r : routers) t += r;
  return t;
}

ChipSnapshot& ChipSnapshot::operator-=(const ChipSnapshot& earlier) {
  for (size_t i = 0; i < cores.size(); ++i) cores[i] -= earlier.cores[i];
  for (size_t i = 0; i < routers.size(); ++i) routers[i] -= earlier.routers[i];
  management -= earlier.management;
  return *this;
}

ChipSnapshot snapshot(const Chip& chip) {
  ChipSnapshot s;
  s.cores.reserve(chip.core_count());
  for (uint32_t i = 0; i < chip.core_count(); ++i) s.cores.push_back(chip.core(i).counters());
  s.routers.reserve(chip.noc_const().routers().size());
  for (const auto& r : chip.noc_const().routers()) s.routers.push_back(r->counters());
  if (const ManagementCore* m = chip.management()) {
    s.hosted = true;
    s.management = m->counters();
  }
  return s;
}

std::string core_population_label(const Network& net, const CoreProgram& core) {
  std::string label;
  std::vector<uint32_t> seen;
  for (const CoreSegment& s : core.segments) {
    if (std::find(seen.begin(), seen.end(), s.population) != seen.end()) continue;
    seen.push_back(s.population);
    label += (label.empty() ? "" : "+") + net.populations[s.population].name;
  }
  return label;
}

ChipComponentNames component_names(const Chip& chip) {
  ChipComponentNames n;
  for (uint32_t i = 0; i < chip.core_count(); ++i) {
    n.cores.push_back(chip.core(i).name());
    n.core_populations.push_back(core_population_label(chip.network(), chip.program().cores[i]));
  }
  for (const auto& r : chip.noc_const().routers()) n.routers.push_back(r->name());
  return n;
}

void ChipTimestepRecorder::record(const Chip& chip, bool in_window, uint64_t row) {
  if (snapshots_.empty()) names_ = component_names(chip);
  snapshots_.push_back(snapshot(chip));
  attribution_.push_back(chip.step_attribution().back());
  if (!in_window) return;
  const SimResult& res = chip.result();
  std::vector<std::vector<uint8_t>> rows;
  for (const auto& sp : res.spikes) {
    const uint64_t n = res.timesteps ? sp.size() / res.timesteps : 0;
    rows.emplace_back(sp.begin() + static_cast<long>(row * n), sp.begin() + static_cast<long>((row + 1) * n));
  }
  raster_.push_back(std::move(rows));
}

}  // namespace spikemesh
