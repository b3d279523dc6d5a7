// `spikemesh netx`: converts a lava-dl netx network (.net) to the spikemesh network file (docs/netx.md).
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "config.h"
#include "error.h"
#include "network_file.h"
#include "netx_import.h"

namespace po = boost::program_options;

namespace spikemesh::cli {

int cmd_netx(const Args& args) {
  po::options_description opts("netx options");
  std::string in_path, out_path;
  int64_t reset_interval = 0, reset_offset = 0;
  NetxOptions options;
  opts.add_options()("help,h", "show this help")("in", po::value(&in_path)->required(), "netx network (.net) to read")(
      "out", po::value(&out_path)->required(), "spikemesh network file (.h5) to write")(
      "reset-interval", po::value(&reset_interval),
      "zero every neuron layer's u and v every this many timesteps, each layer one step after the one before "
      "(lava-dl's netx.hdf5.Network reset_interval; default 0: never)")(
      "reset-offset", po::value(&reset_offset), "the first layer's reset phase (lava-dl's reset_offset; default 0)")(
      "axonal-delays", po::value(&options.axonal_delays),
      "a layer's axonal delays (slayer's `delay`): 'apply' them to the synapses out of the layer, as slayer trained "
      "the network (default), or 'ignore' them, as Lava's netx does");
  po::positional_options_description pos;
  pos.add("in", 1).add("out", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  if (reset_interval < 0 || reset_interval > 65535)
    throw Error("--reset-interval " + std::to_string(reset_interval) + ": expected 0 to 65535 timesteps");
  if (reset_offset < 0 || reset_offset > UINT32_MAX)
    throw Error("--reset-offset " + std::to_string(reset_offset) + ": expected a timestep count from 0");
  options.reset_interval = static_cast<uint32_t>(reset_interval);
  options.reset_offset = static_cast<uint32_t>(reset_offset);
  options.check("", [](std::string field) {  // the flag: --reset-offset
    std::replace(field.begin(), field.end(), '_', '-');
    return "--" + field;
  });
  const Network net = import_netx_reporting(in_path, options);
  std::printf("%-12s %-6s %-16s %10s %s\n", "population", "kind", "shape", "neurons", reset_interval ? "  reset" : "");
  for (const auto& p : net.populations) {
    std::string shape, reset;
    for (uint32_t d : p.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    if (p.reset_interval)
      reset = "  every " + std::to_string(p.reset_interval) + " from t = " + std::to_string(p.reset_offset);
    std::printf("%-12s %-6s %-16s %10llu%s\n", p.name.c_str(), to_string(p.kind), shape.c_str(),
                static_cast<unsigned long long>(p.size()), reset.c_str());
  }
  write_network(net, out_path);
  std::printf("wrote %s (%zu populations, %zu projections, %llu synapses)\n", out_path.c_str(), net.populations.size(),
              net.projections.size(), static_cast<unsigned long long>(net.total_synapses()));
  return 0;
}

}  // namespace spikemesh::cli
