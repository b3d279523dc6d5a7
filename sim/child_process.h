// Python tools run from the driver (`spikemesh sweep`, the float-model quality of an FSDDIM run): where they
// are on disk, the interpreter they run under, and a child process started and waited for.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace spikemesh {

// Debian's torch, h5py, numpy and matplotlib live under this interpreter, not necessarily the one on PATH.
extern const char* const kPython;

// The Python tools of one installation or checkout.
struct PythonTools {
  std::filesystem::path sweep_script;  // sweep.py, with run_point.py, Snakefile and plots.py beside it
  std::filesystem::path package_dir;   // the folder holding the fsddim package: what goes on PYTHONPATH
};

// Finds the Python tools from where this executable is (/proc/self/exe), never from a path compiled in, so
// an installed tree still runs after it is moved. First match wins:
//   1. $SPIKEMESH_DATA_DIR: an installed data folder or a source checkout (an error when it holds neither);
//   2. the install layout: PREFIX/bin/spikemesh beside PREFIX/share/spikemesh/{sweep,python/fsddim};
//   3. a build tree: spikemesh_paths.txt beside the binary names the checkout it was configured from.
// A data folder is either layout: installed (sweep/, python/fsddim/) or a checkout (scripts/sweep/,
// model/fsddim/). Throws Error naming every place it looked when none holds the tools.
PythonTools find_python_tools();

// Runs argv[0] (a path) with `argv` and the extra environment `env` as a child process and waits for it;
// returns its exit status (128 + signal when killed). Its stdout and stderr are the caller's. Throws Error
// when it cannot be started.
int run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env);

}  // namespace spikemesh
