// `spikemesh balance`: delay-balances a network file so the chip computes its trained function D steps late.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "delay_balance.h"
#include "network_file.h"

namespace po = boost::program_options;

namespace spikemesh::cli {

int cmd_balance(const Args& args) {
  po::options_description opts("balance options");
  std::string in_path, out_path;
  opts.add_options()("help,h", "show this help")("in", po::value(&in_path)->required(), "network file to balance")(
      "out", po::value(&out_path)->required(), "balanced network file to write");
  po::positional_options_description pos;
  pos.add("in", 1).add("out", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  Network net = read_network(in_path);
  const BalanceReport rep = balance_delays(net);
  std::printf("%-24s %-16s %-16s %6s\n", "projection", "source", "target", "delay");
  for (size_t j = 0; j < net.projections.size(); ++j) {
    const auto& pr = net.projections[j];
    std::printf("%-24s %-16s %-16s %6u\n", pr.name.c_str(), net.populations[pr.source].name.c_str(),
                net.populations[pr.target].name.c_str(), rep.projection_delay[j]);
  }
  std::printf("pipeline depth D = %u timesteps\n", rep.depth);
  write_network(net, out_path);
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}

}  // namespace spikemesh::cli
