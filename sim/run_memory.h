// One memory estimate for a chip run, checked before compiling (in `--check` too): a config whose values are
// each in range but whose product is not (a 64 x 64 mesh of 64 x 64-router chips, 2^30 timesteps) is
// refused with the keys to change instead of failing hours later in an allocation.
#pragma once

#include <cstdint>
#include <string>

#include "config.h"
#include "network.h"

namespace spikemesh {

// Bytes the run needs, by the term that drives it. Measured costs per element (docs/reliability.md says how):
struct RunMemoryEstimate {
  // The SystemC chip and its compiled tables: 1.83 KiB per neurocore (routers_x=routers_y=64 with 1 and 16
  // cores per router: 38,976 KiB and 151,196 KiB peak), rounded up to 2 KiB.
  static constexpr uint64_t kBytesPerCore = 2048;
  // Per router with its links and buffers: 2.0 KiB (the same runs, less the cores and the 2x2 baseline),
  // rounded up to 2.5 KiB.
  static constexpr uint64_t kBytesPerRouter = 2560;
  // The raster and stimulus per timestep are held twice (the chip's record and the result it is copied
  // into): 1 byte per neuron for spikes, 4 per readout neuron for currents, 4 per input neuron for payloads.
  static constexpr uint64_t kRasterCopies = 2;

  uint64_t mesh_bytes = 0;     // cores and routers
  uint64_t raster_bytes = 0;   // timesteps x per-timestep record (0 for the FSDDIM loop, which streams)
  uint64_t network_bytes = 0;  // the network's weights, delays and parameters once in memory
  uint64_t total() const { return mesh_bytes + raster_bytes + network_bytes; }
};

RunMemoryEstimate estimate_run_memory(const RunConfig& cfg, const Network& net);

// Throws an Error naming the config file, the estimate by key and what to lower when the estimate exceeds
// `available_bytes` (physical_memory_bytes() unless a test passes a figure).
void check_run_memory(const RunConfig& cfg, const Network& net, uint64_t available_bytes);
uint64_t physical_memory_bytes();  // this machine's RAM (sysconf); 0 when unknown (then nothing is checked)

}  // namespace spikemesh
