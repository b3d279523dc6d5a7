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

// --state-out: u and v of chosen populations after chosen timesteps ("spikemesh-state" HDF5,
// docs/netx.md, "Writing u and v").
struct StateProbe {
  std::vector<uint32_t> populations;       // network order
  std::vector<uint32_t> timesteps;         // sorted, unique
  std::vector<std::vector<int32_t>> u, v;  // per chosen population: timesteps x size
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

uint32_t parse_timestep(const std::string& text, const std::string& item) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error("--state-timesteps: '" + item + "' is not a timestep or a range A-B (expected e.g. 0,5,10-19)");
  const uint64_t v = std::stoull(text);
  if (v > UINT32_MAX) throw Error("--state-timesteps: '" + item + "' is out of range");
  return static_cast<uint32_t>(v);
}

StateProbe make_probe(const Network& net, const std::string& pops, const std::string& steps, uint32_t timesteps) {
  StateProbe probe;
  if (pops.empty()) {
    for (uint32_t p = 0; p < net.populations.size(); ++p)
      if (net.populations[p].kind != NeuronKind::Input) probe.populations.push_back(p);
  } else {
    for (const std::string& name : split_commas(pops)) {
      const int p = net.find(name);
      if (p < 0) {
        std::string names;
        for (const auto& q : net.populations) names += (names.empty() ? "" : ", ") + q.name;
        throw Error("--state-populations: no population '" + name + "' (the network has: " + names + ")");
      }
      if (net.populations[p].kind == NeuronKind::Input)
        throw Error("--state-populations: '" + name + "' is an input population: it has no u and v");
      if (std::find(probe.populations.begin(), probe.populations.end(), p) == probe.populations.end())
        probe.populations.push_back(static_cast<uint32_t>(p));
    }
    std::sort(probe.populations.begin(), probe.populations.end());
  }
  if (timesteps == 0) throw Error("--state-out: --timesteps 0 runs no timestep to record");
  if (steps.empty()) {
    for (uint32_t t = 0; t < timesteps; ++t) probe.timesteps.push_back(t);
  } else {
    for (const std::string& item : split_commas(steps)) {
      const size_t dash = item.find('-');
      const uint32_t a = parse_timestep(item.substr(0, dash), item);
      const uint32_t b = dash == std::string::npos ? a : parse_timestep(item.substr(dash + 1), item);
      if (b < a) throw Error("--state-timesteps: range '" + item + "' ends before it starts");
      if (b >= timesteps)
        throw Error("--state-timesteps: timestep " + std::to_string(b) + " is not run (--timesteps " +
                    std::to_string(timesteps) + " runs 0.." + std::to_string(timesteps - 1) + ")");
      for (uint64_t t = a; t <= b; ++t) probe.timesteps.push_back(static_cast<uint32_t>(t));
    }
    std::sort(probe.timesteps.begin(), probe.timesteps.end());
    probe.timesteps.erase(std::unique(probe.timesteps.begin(), probe.timesteps.end()), probe.timesteps.end());
  }
  uint64_t values = 0;
  for (uint32_t p : probe.populations) values += 2 * net.populations[p].size() * probe.timesteps.size();
  constexpr uint64_t kMaxValues = uint64_t{1} << 30;  // 4 GiB of int32 held in memory before writing
  if (values > kMaxValues)
    throw Error("--state-out: " + std::to_string(values) + " values (u and v of the chosen populations at " +
                std::to_string(probe.timesteps.size()) + " timesteps) exceed 2^30 (4 GiB); choose fewer with " +
                "--state-populations or --state-timesteps");
  probe.u.resize(probe.populations.size());
  probe.v.resize(probe.populations.size());
  return probe;
}

// Called after each step: records u and v when the step just done is a chosen one.
void record(StateProbe& probe, const Network& net, const ReferenceSimulator& sim) {
  const uint64_t t = sim.timestep() - 1;
  if (!std::binary_search(probe.timesteps.begin(), probe.timesteps.end(), t)) return;
  for (size_t k = 0; k < probe.populations.size(); ++k) {
    const uint32_t p = probe.populations[k];
    for (uint64_t i = 0; i < net.populations[p].size(); ++i) {
      const CompartmentState st = sim.state(p, i);
      probe.u[k].push_back(st.u);
      probe.v[k].push_back(st.v);
    }
  }
}

void write_state(const StateProbe& probe, const Network& net, uint32_t timesteps, const std::string& path) {
  H5File f = H5File::create(path);
  f.write_attr_string("/", "format", "spikemesh-state");
  f.write_attr_int("/", "version", 1);
  f.write_attr_int("/", "timesteps", timesteps);
  f.create_group("/populations");
  const std::vector<int64_t> steps(probe.timesteps.begin(), probe.timesteps.end());
  const uint64_t k = steps.size();
  for (size_t j = 0; j < probe.populations.size(); ++j) {
    const Population& pop = net.populations[probe.populations[j]];
    const std::string at = "/populations/" + pop.name;
    f.write_ints(at + "/timesteps", steps, {k}, 4);
    f.write_int32(at + "/u", probe.u[j].data(), {k, pop.size()}, true);
    f.write_int32(at + "/v", probe.v[j].data(), {k, pop.size()}, true);
    f.write_attr_int(at, "index", static_cast<int64_t>(probe.populations[j]));
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
      "out", po::value(&out_path), "write the spike raster here (HDF5)")(
      "state-out", po::value(&state_path),
      "write u and v after the chosen timesteps here (HDF5 'spikemesh-state', docs/netx.md)")(
      "state-populations", po::value(&state_pops),
      "populations whose u and v --state-out writes, comma-separated (default: every non-input population)")(
      "state-timesteps", po::value(&state_steps),
      "timesteps after which --state-out writes u and v: comma-separated, ranges A-B inclusive, counted from 0 "
      "(default: every timestep)");
  po::positional_options_description pos;
  pos.add("network", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  Network loaded = load_network(net_path);
  const Stimulus stim = stim_path.empty() ? Stimulus{} : read_stimulus(loaded, stim_path);
  const Network net = apply_stimulus_biases(std::move(loaded), stim);  // a bias input is part of the network
  if (state_path.empty() && (!state_pops.empty() || !state_steps.empty()))
    throw Error("--state-populations and --state-timesteps need --state-out FILE.h5");
  std::optional<StateProbe> probe;
  if (!state_path.empty()) probe = make_probe(net, state_pops, state_steps, timesteps);
  const SimResult r = run_reference(net, stim, timesteps, context, [&](const ReferenceSimulator& sim) {
    if (probe) record(*probe, net, sim);
  });
  print_summary(net, r);
  if (probe) {
    write_state(*probe, net, timesteps, state_path);
    std::printf("wrote %s (u and v of %zu populations at %zu timesteps)\n", state_path.c_str(),
                probe->populations.size(), probe->timesteps.size());
  }
  if (!out_path.empty()) {
    write_result(r, out_path);
    std::printf("wrote %s\n", out_path.c_str());
  }
  return 0;
}

}  // namespace spikemesh::cli
