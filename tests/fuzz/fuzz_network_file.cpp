// libFuzzer harness: the network-file loader (model/network_file.h) on arbitrary bytes as an HDF5 file.
#include "error.h"
#include "fuzz_input.h"
#include "network_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = spikemesh::fuzz::scratch_file(".h5", data, size);
  try {
    (void)spikemesh::read_network(path);
  } catch (const spikemesh::Error&) {}
  return 0;
}
