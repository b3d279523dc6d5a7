// The subcommands of the `spikemesh` program, one file each (cmd_<name>.cpp); main.cpp dispatches.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace spikemesh::cli {

using Args = std::vector<std::string>;

// Parses a command's arguments into `opts` (with positionals `pos`). Prints the options and returns false
// when --help was asked; throws boost::program_options::error on bad arguments.
bool parse_command_line(const Args& args, const boost::program_options::options_description& opts,
                        const boost::program_options::positional_options_description& pos = {});

int cmd_reference(const Args& args);  // run the functional reference simulator
int cmd_example(const Args& args);    // write a small example network and stimulus
int cmd_balance(const Args& args);    // delay-balance a network file
int cmd_netx(const Args& args);       // import a lava-dl netx network (.net)
int cmd_sample(const Args& args);     // the fixed-point reference sampler (FSDDIM loop, no chip)
int cmd_run(const Args& args);        // run the cycle-accurate chip (cmd_run.cpp)
int cmd_map(const Args& args);        // compile onto the chip and print the utilisation (cmd_map.cpp)
int cmd_sweep(const Args& args);      // design-space sweep: execs scripts/sweep/sweep.py
int cmd_price(const Args& args);      // re-price a report.json's counters with another energy table

}  // namespace spikemesh::cli
