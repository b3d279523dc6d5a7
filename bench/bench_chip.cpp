// Benchmark of the cycle-accurate chip (not a test): the benchmark network of make_benchmark_network
// (default 100k neurons x 100 synapses, about 5 % activity) on a chip that holds it, full cycle-accurate
// mode. Host synaptic events per second and simulated cycles per second over a window of timed steps
// after a warm-up (the bias-driven start is synchronous; the warm-up lets the phases spread, as in
// bench_reference). One SystemC elaboration per process, so one run per invocation.
#include <boost/program_options.hpp>

#include <systemc>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "chip.h"
#include "config.h"
#include "mapping.h"
#include "random_network.h"

#include "bench_util.h"

namespace po = boost::program_options;
using namespace spikemesh;

int sc_main(int argc, char** argv) {
  uint32_t neurons = 0, fanout = 0, warmup = 0, steps = 0;
  uint64_t seed = 0;
  std::string out, chip_path;
  po::options_description opts("bench_chip: cycle-accurate chip throughput on the benchmark network");
  opts.add_options()("help,h", "show this help")(
      "chip", po::value(&chip_path)->default_value("configs/chip_bench100k.yaml"), "chip config (YAML)")(
      "neurons", po::value(&neurons)->default_value(100000), "neurons")(
      "fanout", po::value(&fanout)->default_value(100), "outgoing synapses per neuron")(
      "seed", po::value(&seed)->default_value(1), "network seed")("warmup", po::value(&warmup)->default_value(500),
                                                                  "untimed steps first")(
      "steps", po::value(&steps)->default_value(100), "timed steps")(
      "out", po::value(&out)->default_value("bench/results/chip.json"), "JSON output path");
  if (const int rc = bench::parse_args(argc, argv, opts, "bench_chip"); rc >= 0) return rc;
  ChipParams params;
  try {
    params = load_chip_config(chip_path, {});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_chip: %s\n", e.what());
    return 1;
  }
  const double t0 = bench::wall_now();
  const Network net = make_benchmark_network(neurons, fanout, seed);
  const double t1 = bench::wall_now();
  const ChipProgram program = map_network(net, params);
  const double t2 = bench::wall_now();
  std::printf("network: %u neurons, %llu synapses (%.2f s); mapped onto %u of %u cores (%.2f s)\n", neurons,
              static_cast<unsigned long long>(net.total_synapses()), t1 - t0, program.cores_used,
              program.geometry.cores(), t2 - t1);
  const Stimulus none;
  Chip chip("chip", net, program, params, none, warmup + steps);
  struct Mark {
    double wall = 0, cpu = 0;
    uint64_t cycle = 0, synops = 0, spikes = 0, flits = 0, steps = 0, busy = 0;
  } start, stop;
  auto mark = [&](Mark& m, uint64_t cycle) {
    m.wall = bench::wall_now();
    m.cpu = bench::cpu_now();
    m.cycle = cycle;
    const ChipSnapshot s = snapshot(chip);
    m.synops = s.core_total().synops();
    m.spikes = s.core_total().spikes;
    m.flits = s.router_total().flits;
    m.steps = chip.noc().scheduler().steps();
    m.busy = chip.noc().scheduler().busy_cycles();
  };
  chip.on_step([&](uint32_t t, uint64_t cycle) {
    if (t == warmup) mark(start, cycle);
    if (t == warmup + steps) mark(stop, cycle);
  });
  const double e0 = bench::wall_now();
  sc_core::sc_start();
  const double e1 = bench::wall_now();
  if (!chip.completed()) {
    std::fprintf(stderr, "bench_chip: %s\n", chip.deadlock_report().c_str());
    return 1;
  }
  const double wall = stop.wall - start.wall, cpu = stop.cpu - start.cpu;
  const uint64_t events = stop.synops - start.synops, cycles = stop.cycle - start.cycle;
  const double activity = double(stop.spikes - start.spikes) / (double(neurons) * steps);
  std::printf("timed %u steps (after %u warm-up, %.2f s in all): %.3f s wall, %.3f s cpu\n", steps, warmup, e1 - e0,
              wall, cpu);
  std::printf(
      "synaptic events/s: %.2f M (wall), %.2f M (cpu); simulated cycles/s: %.3g (wall); %.0f cycles/step; "
      "activity %.4f; flit grants/step %.0f\n",
      events / wall / 1e6, events / cpu / 1e6, cycles / wall, double(cycles) / steps, activity,
      double(stop.flits - start.flits) / steps);
  std::printf("router steps/step %.0f in %.0f busy cycles/step\n", double(stop.steps - start.steps) / steps,
              double(stop.busy - start.busy) / steps);
  const std::string cmd = bench::command_line(argc, argv);
  std::ofstream f = bench::open_result(out);
  f << "{\n"
    << "  \"benchmark\": \"chip_benchmark_network\",\n"
    << "  \"command\": \"" << cmd << "\",\n"
    << "  \"cpu_model\": \"" << bench::cpu_model() << "\",\n"
    << "  \"threads\": 1,\n"
    << "  \"chip_config\": \"" << chip_path << "\",\n"
    << "  \"cores_used\": " << program.cores_used << ",\n"
    << "  \"neurons\": " << neurons << ",\n"
    << "  \"fanout\": " << fanout << ",\n"
    << "  \"seed\": " << seed << ",\n"
    << "  \"warmup_steps\": " << warmup << ",\n"
    << "  \"timed_steps\": " << steps << ",\n"
    << "  \"map_s\": " << (t2 - t1) << ",\n"
    << "  \"activity\": " << activity << ",\n"
    << "  \"synaptic_events\": " << events << ",\n"
    << "  \"simulated_cycles\": " << cycles << ",\n"
    << "  \"flit_grants\": " << (stop.flits - start.flits) << ",\n"
    << "  \"router_steps\": " << (stop.steps - start.steps) << ",\n"
    << "  \"wall_s\": " << wall << ",\n"
    << "  \"cpu_s\": " << cpu << ",\n"
    << "  \"events_per_s_wall\": " << events / wall << ",\n"
    << "  \"events_per_s_cpu\": " << events / cpu << ",\n"
    << "  \"cycles_per_s_wall\": " << cycles / wall << ",\n"
    << "  \"cycles_per_s_cpu\": " << cycles / cpu << "\n"
    << "}\n";
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
