// `spikemesh netx`: converts a lava-dl netx network (.net) to the spikemesh network file (docs/netx.md).
#include <boost/program_options.hpp>

#include <cstdio>

#include "commands.h"
#include "network_file.h"
#include "netx_import.h"

namespace po = boost::program_options;

namespace spikemesh::cli {

int cmd_netx(const Args& args) {
  po::options_description opts("netx options");
  std::string in_path, out_path;
  opts.add_options()("help,h", "show this help")("in", po::value(&in_path)->required(), "netx network (.net) to read")(
      "out", po::value(&out_path)->required(), "spikemesh network file (.h5) to write");
  po::positional_options_description pos;
  pos.add("in", 1).add("out", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  const Network net = import_netx(in_path);
  if (const auto w = net.metadata.attributes.find("netx_warnings"); w != net.metadata.attributes.end())
    std::printf("warning: %s\n", w->second.c_str());
  std::printf("%-12s %-6s %-16s %10s\n", "population", "kind", "shape", "neurons");
  for (const auto& p : net.populations) {
    std::string shape;
    for (uint32_t d : p.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    std::printf("%-12s %-6s %-16s %10llu\n", p.name.c_str(), to_string(p.kind), shape.c_str(),
                static_cast<unsigned long long>(p.size()));
  }
  write_network(net, out_path);
  std::printf("wrote %s (%zu populations, %zu projections, %llu synapses)\n", out_path.c_str(), net.populations.size(),
              net.projections.size(), static_cast<unsigned long long>(net.total_synapses()));
  return 0;
}

}  // namespace spikemesh::cli
