// Python tools run from the driver (`spikemesh sweep`, the float-model quality of an FSDDIM run): the
// interpreter they run under, and a child process started and waited for.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace spikemesh {

// Debian's torch, h5py, numpy and matplotlib live under this interpreter, not necessarily the one on PATH.
extern const char* const kPython;

// Runs argv[0] (a path) with `argv` and the extra environment `env` as a child process and waits for it;
// returns its exit status (128 + signal when killed). Its stdout and stderr are the caller's. Throws Error
// when it cannot be started.
int run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env);

}  // namespace spikemesh
