// The subcommands of the `spikemesh` program, one file each (cmd_<name>.cpp); main.cpp dispatches.
#pragma once

#include <string>
#include <vector>

namespace spikemesh::cli {

using Args = std::vector<std::string>;
int cmd_reference(const Args& args);   // run the functional reference simulator
int cmd_example(const Args& args);     // write a small example network and stimulus
int cmd_balance(const Args& args);     // delay-balance a network file

}  // namespace spikemesh::cli
