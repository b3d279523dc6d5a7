// The FSDDIM run's files of record: report.json (the whole-run report plus the loop's per-image, per-DDIM-
// step and per-timestep results, priced by the energy table; the same bytes for the same config and seed)
// and host.json (host speed, not deterministic).
#pragma once

#include <filesystem>

#include "config.h"
#include "energy.h"
#include "fsddim_run.h"
#include "network.h"

namespace spikemesh {

// Throws Error naming the file when it cannot be written.
void write_fsddim_report(const std::filesystem::path& path, const RunConfig& cfg, const Network& net,
                         const EnergyTable& table, const FsddimResults& r);
void write_fsddim_host(const std::filesystem::path& path, const RunConfig& cfg, const FsddimResults& r);

}  // namespace spikemesh
