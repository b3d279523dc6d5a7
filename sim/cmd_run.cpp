// `spikemesh run CONFIG.yaml [--set key=value ...] [--out DIR]`: the cycle-accurate chip on a network.
// Loads and validates everything (config, network, stimulus, energy table, mapping) before simulating,
// then writes DIR/report.json, DIR/spikes.h5 (the reference simulator's layout) and DIR/config.yaml (the
// effective config), and prints a short summary. Exit status 3 when the deadlock watchdog stopped the run.
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "atomic_file.h"
#include "chip_run.h"
#include "commands.h"
#include "compiler.h"
#include "config.h"
#include "energy.h"
#include "error.h"
#include "fsddim_run.h"
#include "network_file.h"
#include "random_network.h"
#include "reference_sim.h"
#include "report.h"
#include "run_memory.h"
#include "state_out.h"
#include "trace_output.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace spikemesh::cli {
namespace {

void write_text(const fs::path& p, const std::string& text) {
  write_stream_atomically(p, [&](std::ostream& f) { f << text; });
}

}  // namespace

int cmd_run(const Args& args) {
  po::options_description opts("run options (CONFIG.yaml keys, with --set key=value overriding any of them:\n" +
                               run_config_help() + ")");
  std::string config_path, out_dir, state_path, state_pops, state_steps;
  std::vector<std::string> sets;
  bool check = false;
  opts.add_options()("help,h", "show this help and the config keys")(
      "check", po::bool_switch(&check),
      "validate the config, network, stimulus and energy table and map the "
      "network, print \"config OK\"; no simulation, nothing written")("config", po::value(&config_path)->required(),
                                                                      "run config (YAML)")(
      "set", po::value(&sets)->composing(), "override a config key: --set chip.core.compartments=2048 (repeatable)")(
      "out", po::value(&out_dir)->default_value("out/run"), "output folder")("state-out", po::value(&state_path),
                                                                             kStateOutHelp)(
      "state-populations", po::value(&state_pops), kStatePopulationsHelp)("state-timesteps", po::value(&state_steps),
                                                                          kStateTimestepsHelp);
  po::positional_options_description pos;
  pos.add("config", 1);
  if (!parse_command_line(args, opts, pos)) return 0;

  // Everything that can fail on bad input fails here, before simulation.
  const RunConfig cfg = load_run_config(config_path, sets);
  Network net = load_network(cfg.network_path(), cfg.run.netx);
  // Before the stimulus is made and the network compiled: 2^30 random timesteps or a huge mesh would
  // allocate (and take) far too much first.
  check_run_memory(cfg, net, physical_memory_bytes());
  Stimulus stim;
  if (cfg.run.stimulus == "random")
    stim = make_random_stimulus(net, cfg.run.timesteps, cfg.run.seed, cfg.run.activity);
  else if (cfg.run.stimulus != "none")
    stim = read_stimulus(net, cfg.stimulus_path());
  net = apply_stimulus_biases(std::move(net), stim);  // a bias input (netx input layers) is part of the network
  const EnergyTable table = load_energy_table(cfg.energy_path());
  // --state-out: u and v from the cores (a plain run; the FSDDIM loop's steps are not the run's timesteps).
  if (!state_path.empty() && cfg.run.fsddim.images > 0)
    throw Error("--state-out: records a plain run's timesteps, not the FSDDIM loop's (" + config_path +
                " has an fsddim section)");
  std::optional<StateRecord> state = make_state_record(net, state_path, state_pops, state_steps, cfg.run.timesteps);
  // Trace settings are checked here too (the FSDDIM loop checks its own window against its schedule).
  const std::unique_ptr<Tracer> tracer =
      cfg.run.fsddim.images > 0 ? nullptr : make_tracer(cfg, net, 1, cfg.run.timesteps);
  if (check) {  // compiling is the last step that can reject a config (a network that does not fit)
    Network checked = net;
    CompileOptions options;  // the loop's own checks (S, schedule, checkpoint) and the network its chip runs
    if (cfg.run.fsddim.images > 0) options = fsddim_chip_network(cfg, checked);
    const ChipProgram program = compile_network(checked, cfg.chip, options).program;  // what the run compiles
    if (tracer) {  // the signals exist only once the chip is elaborated: elaborate it, do not simulate
      try {
        check_chip_trace(net, cfg.chip, program, stim, cfg.run.timesteps, cfg.run.context, *tracer);
      } catch (const Error& e) {
        throw Error(config_path + ": " + e.what());
      }
    }
    std::printf("config OK: %s (%u cores used of %u)\n", config_path.c_str(), program.cores_used,
                program.geometry.cores());
    return 0;
  }
  const fs::path dir(out_dir);
  fs::create_directories(dir);
  write_text(dir / "config.yaml", dump_run_config(cfg));
  if (cfg.run.fsddim.images > 0) {  // the FSDDIM denoising loop on the chip
    Network fsddim_net = net;
    return run_fsddim(cfg, fsddim_net, table, dir);
  }

  ChipRunOutput run;
  try {
    run =
        run_chip(net, cfg.chip, stim, cfg.run.timesteps, cfg.run.context, {}, tracer.get(), state ? &*state : nullptr);
  } catch (const Error& e) {  // the tracer's refusals name trace.* keys: add the file they are in
    if (std::string(e.what()).rfind("trace", 0) == 0) throw Error(config_path + ": " + e.what());
    throw;
  }
  const EnergyReport energy = price_energy(run.counters, table);
  write_stream_atomically(dir / "report.json", [&](std::ostream& f) { write_report(f, cfg, net, run, table, energy); });
  // Also after a deadlock: the waveform shows it.
  if (tracer) write_trace_outputs(*tracer, run.timestep_record, cfg, net, dir);
  if (!run.completed) {
    std::fprintf(stderr, "spikemesh run: %s", run.deadlock.c_str());
    std::fprintf(stderr, "wrote %s\n", (dir / "report.json").c_str());
    return 3;
  }
  write_result(run.result, (dir / "spikes.h5").string());
  if (state) write_state(*state, net, cfg.run.timesteps, state_path);

  const auto& c = run.counters;
  const uint64_t messages = c.core_total().messages_out, hops = c.router_total().hops();
  std::printf("chip: %ux%u chips of %ux%u routers, %u cores per router (%u cores, %u used)\n",
              run.program.geometry.chips_x, run.program.geometry.chips_y, run.program.geometry.routers_x,
              run.program.geometry.routers_y, run.program.geometry.cores_per_router, run.program.geometry.cores(),
              run.program.cores_used);
  std::printf("timesteps %u, cycles %llu, latency %.6g s (%.1f cycles/step at %.0f MHz)\n", cfg.run.timesteps,
              static_cast<unsigned long long>(c.cycles), c.seconds(), double(c.cycles) / cfg.run.timesteps,
              cfg.chip.clock_mhz);
  std::printf("spikes %llu, synaptic events %llu, messages %llu, flit hops %llu\n",
              static_cast<unsigned long long>(run.result.spike_count),
              static_cast<unsigned long long>(run.result.synaptic_events), static_cast<unsigned long long>(messages),
              static_cast<unsigned long long>(hops));
  std::printf("energy %.6g J (dynamic %.6g J, static %.6g J; table %s)%s\n", energy.total_j, energy.dynamic_j,
              energy.static_j, table.name.c_str(),
              energy.unpriced.empty() ? "" : " [some events unpriced, see report]");
  std::printf("wrote %s, %s, %s\n", (dir / "report.json").c_str(), (dir / "spikes.h5").c_str(),
              (dir / "config.yaml").c_str());
  return 0;
}

}  // namespace spikemesh::cli
