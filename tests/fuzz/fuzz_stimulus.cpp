// libFuzzer harness: the stimulus loader (model/reference_sim.h read_stimulus) on arbitrary bytes as an
// HDF5 file, against the seeded network `spikemesh example` writes (its input population is "input").
#include "error.h"
#include "fuzz_input.h"
#include "random_network.h"
#include "reference_sim.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const spikemesh::Network net = [] {
    spikemesh::RandomNetworkParams p;
    p.seed = 7;  // the example's seed (sim/cmd_example.cpp)
    return spikemesh::make_random_network(p);
  }();
  const std::string path = spikemesh::fuzz::scratch_file(".h5", data, size);
  try {
    (void)spikemesh::read_stimulus(net, path);
  } catch (const spikemesh::Error&) {}
  return 0;
}
