// `spikemesh run` with an `fsddim:` section: generates images with the FSDDIM denoising loop running on
// the chip (S DDIM steps x (T + D) chip timesteps per image, the fixed-point DDIM update on the management
// core), checks them against the fixed-point reference sampler, and writes DIR/samples.png,
// DIR/samples.h5 and DIR/report.json (whole run, plus per image, per DDIM step and per timestep).
#pragma once

#include <filesystem>

#include "config.h"
#include "ddim_sampler.h"
#include "network.h"

namespace spikemesh {

// What the loop checks before anything runs (also `spikemesh run --check`): balances `net` if it has no
// pipeline depth, then the quality metric, the FSDDIM schedule, S (and that the export has its time
// embeddings) and the float checkpoint. Returns the exported schedule. Throws Error naming the key.
DdimSchedule check_fsddim(const RunConfig& cfg, Network& net);

// Returns the exit status: 0, or 4 when the chip's images differ from the reference sampler's.
int run_fsddim(const RunConfig& cfg, Network& net, const EnergyTable& table, const std::filesystem::path& dir);

}  // namespace spikemesh
