// libFuzzer harness: --set parsing (sim/config.h load_run_config's `sets`). The input is split at newlines
// into --set arguments, applied over a minimal valid config.
#include <string>
#include <vector>

#include "config.h"
#include "error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string base = [] {
    const char text[] = "network: n.h5\n";
    return spikemesh::fuzz::scratch_file("_base.yaml", reinterpret_cast<const uint8_t*>(text), sizeof text - 1);
  }();
  std::vector<std::string> sets;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      sets.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  sets.push_back(cur);
  try {
    (void)spikemesh::load_run_config(base, sets);
  } catch (const spikemesh::Error&) {}
  return 0;
}
