// spikemesh command line: `spikemesh <command> [options]`.
//   reference NET.h5   run the functional reference simulator (golden model) on a network file
//   example            write a small example network and stimulus
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "error.h"
#include "network_file.h"
#include "random_network.h"
#include "reference_sim.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace spikemesh;

namespace {

const char* kUsage =
    "usage: spikemesh <command> [options]\n"
    "commands:\n"
    "  reference NET.h5 [--stimulus S.h5] [--timesteps N] [--context K] [--out SPIKES.h5]\n"
    "      run the functional reference simulator and write the spike raster\n"
    "  example --out DIR [--seed N]\n"
    "      write a small example network (DIR/network.h5) and stimulus (DIR/stimulus.h5)\n"
    "run `spikemesh <command> --help` for the options of a command\n";

// Prints per-population activity of a result: the human summary of a reference run.
void print_summary(const Network& net, const SimResult& r) {
  std::printf("%-12s %-8s %8s %10s %10s\n", "population", "kind", "neurons", "spikes", "rate");
  for (size_t p = 0; p < net.populations.size(); ++p) {
    const auto& pop = net.populations[p];
    uint64_t spikes = 0;
    for (auto s : r.spikes[p]) spikes += s;
    const double rate = r.timesteps ? double(spikes) / (double(pop.size()) * r.timesteps) : 0.0;
    std::printf("%-12s %-8s %8llu %10llu %10.4f\n", pop.name.c_str(), to_string(pop.kind),
                static_cast<unsigned long long>(pop.size()), static_cast<unsigned long long>(spikes), rate);
  }
  for (size_t p = 0; p < net.populations.size(); ++p) {
    if (net.populations[p].kind != NeuronKind::Readout || r.timesteps == 0) continue;
    const uint64_t n = net.populations[p].size();
    std::printf("readout '%s' current at the last step:", net.populations[p].name.c_str());
    for (uint64_t i = 0; i < n; ++i) std::printf(" %d", r.currents[p][(r.timesteps - 1) * n + i]);
    std::printf("\n");
  }
  std::printf("timesteps %u, spikes %llu, synaptic events %llu\n", r.timesteps,
              static_cast<unsigned long long>(r.spike_count), static_cast<unsigned long long>(r.synaptic_events));
}

int cmd_reference(const std::vector<std::string>& args) {
  po::options_description opts("reference options");
  std::string net_path, stim_path, out_path;
  uint32_t timesteps = 0, context = 0;
  opts.add_options()("help,h", "show this help")
      ("network", po::value(&net_path)->required(), "network file (HDF5)")
      ("stimulus", po::value(&stim_path), "stimulus file (HDF5, /inputs/<population>)")
      ("timesteps", po::value(&timesteps)->default_value(16), "timesteps to run")
      ("context", po::value(&context)->default_value(0), "bias-table context (e.g. diffusion step)")
      ("out", po::value(&out_path), "write the spike raster here (HDF5)");
  po::positional_options_description pos;
  pos.add("network", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  po::notify(vm);
  const Network net = read_network(net_path);
  const Stimulus stim = stim_path.empty() ? Stimulus{} : read_stimulus(net, stim_path);
  const SimResult r = run_reference(net, stim, timesteps, context);
  print_summary(net, r);
  if (!out_path.empty()) {
    write_result(r, out_path);
    std::printf("wrote %s\n", out_path.c_str());
  }
  return 0;
}

int cmd_example(const std::vector<std::string>& args) {
  po::options_description opts("example options");
  std::string out_dir;
  uint64_t seed = 7;
  uint32_t timesteps = 16;
  opts.add_options()("help,h", "show this help")
      ("out", po::value(&out_dir)->required(), "output folder")
      ("seed", po::value(&seed)->default_value(7), "random seed")
      ("timesteps", po::value(&timesteps)->default_value(16), "stimulus length");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  po::notify(vm);
  fs::create_directories(out_dir);
  RandomNetworkParams rp;
  rp.seed = seed;
  rp.max_neurons = 32;
  const Network net = make_random_network(rp);
  write_network(net, (fs::path(out_dir) / "network.h5").string());
  write_stimulus(net, make_random_stimulus(net, timesteps, seed + 1), (fs::path(out_dir) / "stimulus.h5").string());
  std::printf("wrote %s/network.h5 (%zu populations, %llu neurons, %zu projections, %llu synapses) and %s/stimulus.h5\n",
              out_dir.c_str(), net.populations.size(), static_cast<unsigned long long>(net.total_neurons()),
              net.projections.size(), static_cast<unsigned long long>(net.total_synapses()), out_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "reference") return cmd_reference(args);
    if (cmd == "example") return cmd_example(args);
    std::cerr << "spikemesh: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "spikemesh " << cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const spikemesh::Error& e) {
    std::cerr << "spikemesh " << cmd << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "spikemesh " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}
