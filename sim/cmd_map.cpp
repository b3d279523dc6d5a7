// `spikemesh map CONFIG.yaml [--set key=value ...] [--out DIR]`: compiles the configured network onto the
// configured chip without simulating it. Prints utilisation per population and per core (with % of each
// capacity), the pipeline depth D and the traffic of mesh-order versus optimised placement, and writes
// DIR/mapping.json. A network that does not fit fails with the population, the resource, need versus
// capacity, and the smallest chip shape that would hold it.
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "atomic_file.h"
#include "commands.h"
#include "compiler.h"
#include "config.h"
#include "error.h"
#include "fsddim_run.h"
#include "json_writer.h"
#include "network_file.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace spikemesh::cli {
namespace {

double pct(uint64_t used, uint64_t cap) { return cap ? 100.0 * double(used) / double(cap) : 0.0; }

double saving(const TrafficTotals& mesh, const TrafficTotals& opt) {
  return mesh.flit_hops > 0 ? 100.0 * (mesh.flit_hops - opt.flit_hops) / mesh.flit_hops : 0.0;
}

// How a population is cut: row bands of K channels (model/mapping.h), or contiguous C-order ranges.
std::string tiling(const Network& net, const ChipProgram& prog, size_t p) {
  const uint32_t k = prog.tile_channels[p];
  if (k == 0) return "ranges";
  return "bands of " + std::to_string(k) + (k == net.populations[p].shape[0] ? " (all)" : "") + " channels";
}

void print_tables(const Network& net, const ChipParams& chip, const CompiledNetwork& c,
                  const std::vector<PopulationUsage>& pops) {
  const ChipProgram& prog = c.program;
  const CompileReport& r = c.report;
  const CoreUsage cap = core_capacity(chip);
  std::printf("per population (input axons and synapse words: those reaching the population)\n");
  std::printf("%-20s %9s %6s %12s %13s %11s %12s  %s\n", "population", "neurons", "cores", "compartments",
              "synapse_words", "input_axons", "output_axons", "tiling");
  for (size_t p = 0; p < net.populations.size(); ++p) {
    const auto& u = pops[p].use;
    std::printf("%-20s %9llu %6zu %12llu %13llu %11llu %12llu  %s\n", net.populations[p].name.c_str(),
                static_cast<unsigned long long>(net.populations[p].size()), pops[p].cores.size(),
                static_cast<unsigned long long>(u.compartments), static_cast<unsigned long long>(u.synapse_words),
                static_cast<unsigned long long>(u.input_axons), static_cast<unsigned long long>(u.output_axons),
                tiling(net, prog, p).c_str());
  }
  std::printf(
      "\nper core (used / %% of capacity: compartments %llu, synapse words %llu, input axons %llu, output axons "
      "%llu)\n",
      static_cast<unsigned long long>(cap.compartments), static_cast<unsigned long long>(cap.synapse_words),
      static_cast<unsigned long long>(cap.input_axons), static_cast<unsigned long long>(cap.output_axons));
  std::printf("%-5s %-9s %-28s %16s %16s %14s %14s %7s\n", "core", "x,y,loc", "populations", "compartments",
              "synapse_words", "input_axons", "output_axons", "formats");
  for (uint32_t k = 0; k < prog.cores.size(); ++k) {
    const CoreProgram& core = prog.cores[k];
    if (core.compartments == 0) continue;
    const CoreUsage u = core_usage(core);
    const auto pl = prog.geometry.place(k);
    std::string names;
    for (size_t q = 0; q < core.segments.size(); ++q)
      if (q == 0 || core.segments[q].population != core.segments[q - 1].population)
        names += (names.empty() ? "" : ",") + net.populations[core.segments[q].population].name;
    if (names.size() > 28) names = names.substr(0, 25) + "...";
    char where[32];
    std::snprintf(where, sizeof where, "%u,%u,%u", pl.x, pl.y, pl.local);
    std::printf("%-5u %-9s %-28s %8llu %6.1f%% %8llu %6.1f%% %6llu %6.1f%% %6llu %6.1f%% %7llu\n", k, where,
                names.c_str(), static_cast<unsigned long long>(u.compartments), pct(u.compartments, cap.compartments),
                static_cast<unsigned long long>(u.synapse_words), pct(u.synapse_words, cap.synapse_words),
                static_cast<unsigned long long>(u.input_axons), pct(u.input_axons, cap.input_axons),
                static_cast<unsigned long long>(u.output_axons), pct(u.output_axons, cap.output_axons),
                static_cast<unsigned long long>(u.synapse_formats));
  }
  const MeshGeometry& g = prog.geometry;
  std::printf("\nchip: %ux%u chips of %ux%u routers, %u cores per router: %u of %u cores used\n", g.chips_x, g.chips_y,
              g.routers_x, g.routers_y, g.cores_per_router, r.cores_used, g.cores());
  if (r.depth_known)
    std::printf(
        "pipeline depth D = %u timesteps (%s)\n", r.depth,
        r.balanced ? "the network is delay-balanced" : "after delay balancing; this network's delays are not balanced");
  else
    std::printf("pipeline depth D: unknown (%s)\n", r.depth_note.c_str());
  std::printf("traffic estimate: %.6g messages per timestep (firing rates of the %s)\n", r.optimised.messages,
              r.rates_source.c_str());
  std::printf(
      "flit-hops per timestep: mesh order %.6g, %s %.6g (%.1f%% fewer); latency-weighted (cycles): %.6g vs %.6g\n",
      r.mesh_order.flit_hops, r.placement.c_str(), r.optimised.flit_hops, saving(r.mesh_order, r.optimised),
      r.mesh_order.flit_hop_cycles, r.optimised.flit_hop_cycles);
  std::printf(
      "objective %s: estimated longest core time %.6g cycles per timestep on %u cores (fit: %.6g cycles on %u "
      "cores)\n",
      r.objective.c_str(), r.longest_cycles, r.cores_used, r.fit_longest_cycles, r.fit_cores_used);
  if (r.objective != "fit")  // balance and interleave share the cap search (map_network_balanced)
    std::printf("%s: cap %.6g cycles after %u partitions tried\n", r.objective.c_str(), r.balance.cap_cycles,
                r.balance.probes);
}

void write_usage(JsonWriter& j, const CoreUsage& u) {
  j.value("compartments", u.compartments).value("synapse_words", u.synapse_words).value("input_axons", u.input_axons);
  j.value("output_axons", u.output_axons).value("synapse_formats", u.synapse_formats);
}

void write_traffic(JsonWriter& j, const std::string& key, const TrafficTotals& t) {
  j.begin_object(key).value("messages_per_step", t.messages).value("flit_hops_per_step", t.flit_hops);
  j.value("flit_hop_cycles_per_step", t.flit_hop_cycles).end_object();
}

void write_json(std::ostream& os, const std::string& config, const Network& net, const ChipParams& chip,
                const CompiledNetwork& c, const std::vector<PopulationUsage>& pops) {
  const ChipProgram& prog = c.program;
  const CompileReport& r = c.report;
  const MeshGeometry& g = prog.geometry;
  JsonWriter j(os);
  j.begin_object();
  j.value("config", config);
  j.begin_object("chip").value("chips_x", g.chips_x).value("chips_y", g.chips_y).value("routers_x", g.routers_x);
  j.value("routers_y", g.routers_y).value("cores_per_router", g.cores_per_router).value("cores", g.cores());
  j.begin_object("core_capacity");
  write_usage(j, core_capacity(chip));
  j.end_object().value("shared_conv_kernels", chip.core.shared_conv_kernels).end_object();
  j.begin_object("summary").value("cores_used", r.cores_used).value("placement", r.placement);
  j.value("depth_known", r.depth_known).value("depth", r.depth).value("balanced", r.balanced);
  if (!r.depth_known) j.value("depth_note", r.depth_note);
  j.value("rate_timesteps", r.rate_timesteps).value("rates", r.rates_source);
  write_traffic(j, "mesh_order", r.mesh_order);
  write_traffic(j, "optimised", r.optimised);
  j.end_object();
  // The estimated work per timestep (model/core_work.h) that the objective weighs, for fit and the chosen one.
  j.begin_object("objective").value("mode", r.objective);
  j.value("estimate", "firing rates of the traffic estimate (summary.rates)");
  j.value("fit_cores_used", r.fit_cores_used).value("fit_longest_core_cycles", r.fit_longest_cycles);
  j.value("cores_used", r.cores_used).value("longest_core_cycles", r.longest_cycles);
  if (r.objective != "fit") j.value("cap_cycles", r.balance.cap_cycles).value("partitions_tried", r.balance.probes);
  j.end_object();
  j.begin_array("projections");
  for (size_t k = 0; k < net.projections.size(); ++k) {
    const auto& pr = net.projections[k];
    j.begin_object().value("name", pr.name).value("source", net.populations[pr.source].name);
    j.value("target", net.populations[pr.target].name);
    if (r.depth_known) j.value("balanced_delay", r.projection_delay[k]);
    j.end_object();
  }
  j.end_array();
  j.begin_array("populations");
  for (size_t p = 0; p < net.populations.size(); ++p) {
    j.begin_object().value("name", net.populations[p].name).value("neurons", net.populations[p].size());
    j.array("cores", pops[p].cores);
    j.value("band_channels", prog.tile_channels[p]);  // 0: contiguous C-order ranges
    write_usage(j, pops[p].use);
    // Estimated cycles per timestep of the cores holding it, under fit and under the chosen objective.
    for (const auto& [key, pw] : {std::pair<const char*, const PopulationWork&>{"work_fit", r.fit_population_work[p]},
                                  std::pair<const char*, const PopulationWork&>{"work", r.population_work[p]}})
      j.begin_object(key)
          .value("cores", pw.cores)
          .value("max_core_cycles", pw.max_core_cycles)
          .value("mean_core_cycles", pw.mean_core_cycles)
          .end_object();
    j.end_object();
  }
  j.end_array();
  j.begin_array("cores");
  for (uint32_t k = 0; k < prog.cores.size(); ++k) {
    const CoreProgram& core = prog.cores[k];
    if (core.compartments == 0) continue;
    const auto pl = g.place(k);
    j.begin_object().value("core", k).value("x", pl.x).value("y", pl.y).value("local", pl.local);
    j.begin_array("segments");
    for (const auto& s : core.segments)
      j.begin_object()
          .value("population", net.populations[s.population].name)
          .value("first", s.first)
          .value("count", s.count)
          .end_object();
    j.end_array();
    write_usage(j, core_usage(core));
    const CoreWork& w = r.core_work[k];
    j.begin_object("work").value("messages_in", w.messages_in).value("synops", w.synops);
    j.value("messages_out", w.messages_out).value("sweep_cycles", w.sweep_cycles);
    j.value("dendrite_cycles", w.dendrite_cycles).value("output_cycles", w.output_cycles).value("cycles", w.cycles());
    // The interleave objective's measure: the core's busiest timestep of one image's network call.
    if (w.busiest_timestep_cycles >= 0.0) j.value("busiest_timestep_cycles", w.busiest_timestep_cycles);
    j.end_object();
    j.end_object();
  }
  j.end_array();
  j.end_object();
  os << "\n";
}

}  // namespace

int cmd_map(const Args& args) {
  po::options_description opts(
      "map options (CONFIG.yaml keys as for `spikemesh run`; chip.mapping.* chooses the placement)");
  std::string config_path, out_dir;
  std::vector<std::string> sets;
  opts.add_options()("help,h", "show this help")("config", po::value(&config_path)->required(),
                                                 "run config (YAML): its network and chip")(
      "set", po::value(&sets)->composing(),
      "override a config key: --set chip.mapping.placement=mesh_order (repeatable)")(
      "out", po::value(&out_dir)->default_value("out/map"), "output folder (mapping.json)");
  po::positional_options_description pos;
  pos.add("config", 1);
  if (!parse_command_line(args, opts, pos)) return 0;

  const RunConfig cfg = load_run_config(config_path, sets);
  Network net = load_network(cfg.network_path(), cfg.run.netx);
  // A config with the FSDDIM loop maps the network its chip runs (T, weight bits, bias gating, pipelining,
  // the workload's firing rates), so that mapping.json is the run's mapping.
  CompileOptions options;
  if (cfg.run.fsddim.images > 0) options = fsddim_chip_network(cfg, net);
  CompiledNetwork compiled;
  try {
    compiled = compile_network(net, cfg.chip, options);
  } catch (const MappingError& e) {
    const ShapeSearch s = smallest_fitting_shape(net, cfg.chip);
    throw Error(std::string(e.what()) + "\nsmallest chip shape that fits: " +
                (s.found ? s.describe() + " (--set chip.mesh.<key>=<value>)" : s.why));
  }
  const auto pops = population_usage(net, compiled.program);
  print_tables(net, cfg.chip, compiled, pops);
  const fs::path dir(out_dir);
  fs::create_directories(dir);
  write_stream_atomically(dir / "mapping.json",
                          [&](std::ostream& f) { write_json(f, config_path, net, cfg.chip, compiled, pops); });
  std::printf("wrote %s\n", (dir / "mapping.json").c_str());
  return 0;
}

}  // namespace spikemesh::cli
