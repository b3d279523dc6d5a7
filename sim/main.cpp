// spikemesh command line: `spikemesh <command> [options]`; each command lives in cmd_<name>.cpp.
#include <boost/program_options.hpp>

#include <cstring>
#include <iostream>
#include <string>

#include "commands.h"
#include "error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const spikemesh::cli::Args&);
  const char* synopsis;
};

const Command kCommands[] = {
    {"reference", spikemesh::cli::cmd_reference,
     "reference NET.h5 [--stimulus S.h5] [--timesteps N] [--context K] [--out SPIKES.h5]\n"
     "      run the functional reference simulator and write the spike raster"},
    {"example", spikemesh::cli::cmd_example,
     "example --out DIR [--seed N]\n"
     "      write a small example network (DIR/network.h5) and stimulus (DIR/stimulus.h5)"},
    {"sample", spikemesh::cli::cmd_sample,
     "sample NET.h5 [--steps S] [--images N] [--seed K] [--trajectory] [--pipeline IN_FLIGHT] [--out DIR]\n"
     "      generate images with the fixed-point reference sampler (the FSDDIM loop on the reference simulator)"},
    {"balance", spikemesh::cli::cmd_balance,
     "balance IN.h5 OUT.h5\n"
     "      give every projection the delay that equalises all paths (outputs D steps late)"},
    {"netx", spikemesh::cli::cmd_netx,
     "netx NET.net OUT.h5\n"
     "      convert a lava-dl netx network to a spikemesh network file (docs/netx.md)"},
    {"map", spikemesh::cli::cmd_map,
     "map CONFIG.yaml [--set key=value ...] [--out DIR]\n"
     "      compile the network onto the chip: utilisation per population and core, D, flit-hops; DIR/mapping.json"},
    {"run", spikemesh::cli::cmd_run,
     "run CONFIG.yaml [--set key=value ...] [--out DIR]\n"
     "      run the cycle-accurate chip: DIR/report.json, DIR/spikes.h5, DIR/config.yaml"},
    {"price", spikemesh::cli::cmd_price,
     "price REPORT.json --energy TABLE.yaml [--out FILE]\n"
     "      re-price a finished run's counters with another energy table (power gating as the report saved it)"},
    {"sweep", spikemesh::cli::cmd_sweep,
     "sweep SWEEP.yaml --out DIR [--cores N] [--profile PROFILE_DIR]\n"
     "      design-space sweep of `run` points with Snakemake: DIR/results.csv and plots (docs/sweeps.md)"},
};

void usage(std::ostream& os) {
  os << "usage: spikemesh <command> [options]\ncommands:\n";
  for (const auto& c : kCommands) os << "  " << c.synopsis << "\n";
  os << "run `spikemesh <command> --help` for the options of a command\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const spikemesh::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (cmd != c.name) continue;
    try {
      return c.run(args);
    } catch (const boost::program_options::error& e) {
      std::cerr << "spikemesh " << cmd << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "spikemesh " << cmd << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "spikemesh: unknown command '" << cmd << "'\n";
  usage(std::cerr);
  return 2;
}
