// `spikemesh example`: writes a small seeded example network and its stimulus.
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "network_file.h"
#include "random_network.h"
#include "reference_sim.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace spikemesh::cli {

int cmd_example(const Args& args) {
  po::options_description opts("example options");
  std::string out_dir;
  uint64_t seed = 7;
  uint32_t timesteps = 16;
  opts.add_options()("help,h", "show this help")("out", po::value(&out_dir)->required(), "output folder")(
      "seed", po::value(&seed)->default_value(7), "random seed")("timesteps", po::value(&timesteps)->default_value(16),
                                                                 "stimulus length");
  if (!parse_command_line(args, opts)) return 0;
  fs::create_directories(out_dir);
  RandomNetworkParams rp;
  rp.seed = seed;
  rp.max_neurons = 32;
  const Network net = make_random_network(rp);
  write_network(net, (fs::path(out_dir) / "network.h5").string());
  write_stimulus(net, make_random_stimulus(net, timesteps, seed + 1), (fs::path(out_dir) / "stimulus.h5").string());
  std::printf(
      "wrote %s/network.h5 (%zu populations, %llu neurons, %zu projections, %llu synapses) and %s/stimulus.h5\n",
      out_dir.c_str(), net.populations.size(), static_cast<unsigned long long>(net.total_neurons()),
      net.projections.size(), static_cast<unsigned long long>(net.total_synapses()), out_dir.c_str());
  return 0;
}

}  // namespace spikemesh::cli
