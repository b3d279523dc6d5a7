// `spikemesh reference`: runs the functional reference simulator on a network file.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>

#include "commands.h"
#include "config.h"
#include "error.h"
#include "h5io.h"
#include "network_file.h"
#include "reference_sim.h"
#include "state_out.h"

namespace po = boost::program_options;

namespace spikemesh::cli {
namespace {

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

// Called after each step: copies u and v when the step just done is a chosen one.
void record(StateRecord& rec, const Network& net, const ReferenceSimulator& sim) {
  const int64_t row = rec.row(sim.timestep() - 1);
  if (row < 0) return;
  for (size_t k = 0; k < rec.populations.size(); ++k) {
    const uint64_t n = net.populations[rec.populations[k]].size();
    for (uint64_t i = 0; i < n; ++i) {
      const CompartmentState st = sim.state(rec.populations[k], i);
      rec.u[k][row * n + i] = st.u;
      rec.v[k][row * n + i] = st.v;
    }
  }
}

}  // namespace

int cmd_reference(const Args& args) {
  po::options_description opts("reference options");
  std::string net_path, stim_path, out_path, state_path, state_pops, state_steps;
  uint32_t timesteps = 0, context = 0;
  opts.add_options()("help,h", "show this help")("network", po::value(&net_path)->required(),
                                                 "network file (HDF5) or lava-dl netx network (.net)")(
      "stimulus", po::value(&stim_path), "stimulus file (HDF5, /inputs/<population>)")(
      "timesteps", po::value(&timesteps)->default_value(16), "timesteps to run")(
      "context", po::value(&context)->default_value(0), "bias-table context (e.g. diffusion step)")(
      "out", po::value(&out_path), "write the spike raster here (HDF5)")("state-out", po::value(&state_path),
                                                                         kStateOutHelp)(
      "state-populations", po::value(&state_pops), kStatePopulationsHelp)("state-timesteps", po::value(&state_steps),
                                                                          kStateTimestepsHelp);
  po::positional_options_description pos;
  pos.add("network", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  Network loaded = load_network(net_path);
  const Stimulus stim = stim_path.empty() ? Stimulus{} : read_stimulus(loaded, stim_path);
  const Network net = apply_stimulus_biases(std::move(loaded), stim);  // a bias input is part of the network
  std::optional<StateRecord> state = make_state_record(net, state_path, state_pops, state_steps, timesteps);
  const SimResult r = run_reference(net, stim, timesteps, context, [&](const ReferenceSimulator& sim) {
    if (state) record(*state, net, sim);
  });
  print_summary(net, r);
  if (state) write_state(*state, net, timesteps, state_path);
  if (!out_path.empty()) {
    write_result(r, out_path);
    std::printf("wrote %s\n", out_path.c_str());
  }
  return 0;
}

}  // namespace spikemesh::cli
