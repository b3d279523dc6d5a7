// The run's memory estimate and its check; see run_memory.h.
#include "run_memory.h"

#include <unistd.h>

#include <cstdio>

#include "error.h"

namespace spikemesh {
namespace {

// Saturating arithmetic: a product of in-range values must not wrap to a small, passing estimate.
uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

std::string gib(uint64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / double(uint64_t{1} << 30));
  return buf;
}

}  // namespace

RunMemoryEstimate estimate_run_memory(const RunConfig& cfg, const Network& net) {
  RunMemoryEstimate e;
  const MeshParams& m = cfg.chip.mesh;
  const uint64_t routers = mul(mul(mul(m.chips_x, m.chips_y), m.routers_x), m.routers_y);
  const uint64_t cores = mul(routers, m.cores_per_router);
  e.mesh_bytes = add(mul(cores, RunMemoryEstimate::kBytesPerCore), mul(routers, RunMemoryEstimate::kBytesPerRouter));
  uint64_t per_timestep = 0;
  for (const Population& p : net.populations) {
    const uint64_t bytes_per_neuron =
        1 + (p.kind == NeuronKind::Readout || p.kind == NeuronKind::Input || p.kind == NeuronKind::Sdnn ? 4 : 0);
    per_timestep = add(per_timestep, mul(p.size(), bytes_per_neuron));
    e.network_bytes = add(e.network_bytes, mul(p.params.size(), sizeof(CompartmentParams)));
    e.network_bytes = add(e.network_bytes, mul(p.bias_table.size(), sizeof(int16_t)));
  }
  for (const Projection& pr : net.projections)
    e.network_bytes = add(e.network_bytes, pr.weights.size() * sizeof(int16_t) +
                                               (pr.pre.size() + pr.post.size()) * sizeof(uint32_t) + pr.delays.size());
  if (cfg.run.fsddim.images == 0)
    e.raster_bytes = mul(mul(cfg.run.timesteps, per_timestep), RunMemoryEstimate::kRasterCopies);
  return e;
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? mul(static_cast<uint64_t>(pages), static_cast<uint64_t>(page)) : 0;
}

void check_run_memory(const RunConfig& cfg, const Network& net, uint64_t available_bytes) {
  const RunMemoryEstimate e = estimate_run_memory(cfg, net);
  if (available_bytes == 0 || e.total() <= available_bytes) return;
  const MeshParams& m = cfg.chip.mesh;
  std::string msg = cfg.path + ": the run needs about " + gib(e.total()) + ", more than this machine's " +
                    gib(available_bytes) + " of memory: chip.mesh (" + std::to_string(m.chips_x) + " x " +
                    std::to_string(m.chips_y) + " chips of " + std::to_string(m.routers_x) + " x " +
                    std::to_string(m.routers_y) + " routers, " + std::to_string(m.cores_per_router) + " cores each) " +
                    gib(e.mesh_bytes) + ", timesteps (" + std::to_string(cfg.run.timesteps) + ") " +
                    gib(e.raster_bytes) + " of raster and stimulus, the network " + gib(e.network_bytes) + ". Lower ";
  msg += e.mesh_bytes >= e.raster_bytes
             ? "chip.mesh.chips_x/chips_y/routers_x/routers_y/cores_per_router (the network needs only the cores "
               "it maps to)"
             : "timesteps (or run it as several shorter runs)";
  throw Error(msg);
}

}  // namespace spikemesh
