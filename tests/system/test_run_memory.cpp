// The run's memory estimate (sim/run_memory.h): its terms pinned on a small network, and configs whose
// values are each in range but whose product is not refused with the file, the keys and what to lower.
#include <gtest/gtest.h>

#include "error.h"
#include "run_memory.h"

using namespace spikemesh;

namespace {

// 72 graded inputs, 100 CUBA neurons as a (4, 5, 5) map, 8 readouts; one dense 8 x 100 projection.
Network small_network() {
  Network net;
  Population in, hidden, out;
  in.name = "in";
  in.kind = NeuronKind::Input;
  in.shape = {72};
  hidden.name = "hidden";
  hidden.shape = {4, 5, 5};
  out.name = "out";
  out.kind = NeuronKind::Readout;
  out.shape = {8};
  net.populations = {in, hidden, out};
  Projection pr;
  pr.source = 1;
  pr.target = 2;
  pr.weights.assign(800, 1);
  net.projections = {pr};
  return net;
}

RunConfig config(uint32_t timesteps) {
  RunConfig c;
  c.path = "run.yaml";
  c.run.timesteps = timesteps;
  return c;
}

std::string error_of(const RunConfig& c, uint64_t available) {
  try {
    check_run_memory(c, small_network(), available);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(RunMemory, EstimateIsMeshPlusTwoRasterCopiesPlusTheNetwork) {
  const RunConfig c = config(16);  // default mesh: 1 x 1 chips of 8 x 4 routers, 4 cores each
  const RunMemoryEstimate e = estimate_run_memory(c, small_network());
  EXPECT_EQ(e.mesh_bytes, 128u * 2048 + 32u * 2560);  // 128 cores, 32 routers
  // Per timestep: inputs 72 x (1 spike byte + 4 payload bytes), hidden 100 x 1, readouts 8 x (1 + 4 current).
  EXPECT_EQ(e.raster_bytes, 16u * (72 * 5 + 100 + 8 * 5) * 2);
  // One parameter set per population, 800 int16 weights and the one shared delay byte.
  EXPECT_EQ(e.network_bytes, 3 * sizeof(CompartmentParams) + 800 * 2 + 1);
  EXPECT_EQ(e.total(), e.mesh_bytes + e.raster_bytes + e.network_bytes);
}

TEST(RunMemory, TheFsddimLoopHasNoWholeRunRaster) {
  RunConfig c = config(1u << 30);
  c.run.fsddim.images = 1;
  EXPECT_EQ(estimate_run_memory(c, small_network()).raster_bytes, 0u);
}

TEST(RunMemory, TwoToThe30TimestepsAreRefusedNamingTimesteps) {
  // 2^30 x 1000 bytes = 1000 GiB of raster, in range key by key.
  EXPECT_EQ(error_of(config(1u << 30), uint64_t{64} << 30),
            "run.yaml: the run needs about 1000.0 GiB, more than this machine's 64.0 GiB of memory: chip.mesh (1 x 1 "
            "chips of 8 x 4 routers, 4 cores each) 0.0 GiB, timesteps (1073741824) 1000.0 GiB of raster and stimulus, "
            "the network 0.0 GiB. Lower timesteps (or run it as several shorter runs)");
  EXPECT_EQ(error_of(config(1u << 20), uint64_t{64} << 30), "(no error)");  // about 1 GiB
}

TEST(RunMemory, AHugeMeshIsRefusedNamingTheMeshKeys) {
  RunConfig c = config(16);
  c.chip.mesh.chips_x = c.chip.mesh.chips_y = 64;
  c.chip.mesh.routers_x = c.chip.mesh.routers_y = 64;  // 2^24 routers, 2^26 cores: 168 GiB
  const std::string e = error_of(c, uint64_t{128} << 30);
  EXPECT_NE(e.find("run.yaml: the run needs about 168.0 GiB, more than this machine's 128.0 GiB"), std::string::npos)
      << e;
  EXPECT_NE(e.find("chip.mesh (64 x 64 chips of 64 x 64 routers, 4 cores each) 168.0 GiB"), std::string::npos) << e;
  EXPECT_NE(e.find("Lower chip.mesh.chips_x/chips_y/routers_x/routers_y/cores_per_router"), std::string::npos) << e;
}

TEST(RunMemory, UnknownMachineMemoryChecksNothing) { EXPECT_EQ(error_of(config(1u << 30), 0), "(no error)"); }
