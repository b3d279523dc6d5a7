// libFuzzer harness: the run-config loader (sim/config.h) on arbitrary bytes as a YAML file.
#include "config.h"
#include "error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = spikemesh::fuzz::scratch_file(".yaml", data, size);
  try {
    (void)spikemesh::load_run_config(path, {});
  } catch (const spikemesh::Error&) {}
  return 0;
}
