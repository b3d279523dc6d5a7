// Helpers shared by the subcommands.
#include "commands.h"

#include <iostream>

namespace po = boost::program_options;

namespace spikemesh::cli {

bool parse_command_line(const Args& args, const po::options_description& opts,
                        const po::positional_options_description& pos) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << opts;
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace spikemesh::cli
