// `spikemesh sweep SWEEP.yaml --out DIR [--cores N] [--profile DIR]`: architecture design-space sweeps.
// The sweep machinery (expansion, Snakemake, results.csv, plots) is Python in scripts/sweep/; this command
// replaces itself with `/usr/bin/python3 .../sweep.py ARGS...` (found by find_python_tools: installed or in
// the checkout) and tells it which binary to run.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"
#include "commands.h"
#include "error.h"

namespace fs = std::filesystem;

namespace spikemesh::cli {

int cmd_sweep(const Args& args) {
  const std::string python = kPython;
  const fs::path script = find_python_tools().sweep_script;
  // Points run this very binary unless the caller chose another one.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !std::getenv("SPIKEMESH_BIN")) setenv("SPIKEMESH_BIN", self.c_str(), 1);
  std::vector<std::string> words = {python, script.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  execv(python.c_str(), argv.data());
  throw Error(python + ": cannot run: " + std::strerror(errno));
}

}  // namespace spikemesh::cli
