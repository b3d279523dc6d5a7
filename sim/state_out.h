// `--state-out` of `spikemesh reference` and `spikemesh run`: which populations and timesteps to record (from
// the command line) and the "spikemesh-state" HDF5 file (docs/netx.md, "Writing u and v"). The record itself
// (model/reference_sim.h StateRecord) is filled by the reference simulator's caller or by the chip's cores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "network.h"
#include "reference_sim.h"

namespace spikemesh {

extern const char* const kStateOutHelp;
extern const char* const kStatePopulationsHelp;
extern const char* const kStateTimestepsHelp;

// The record for `--state-out path --state-populations pops --state-timesteps steps` over a run of `timesteps`,
// its u and v allocated; nullopt without a path. Throws Error naming the option on a bad choice.
std::optional<StateRecord> make_state_record(const Network& net, const std::string& path, const std::string& pops,
                                             const std::string& steps, uint32_t timesteps);
// Writes the file and says so on stdout.
void write_state(const StateRecord& rec, const Network& net, uint32_t timesteps, const std::string& path);

}  // namespace spikemesh
