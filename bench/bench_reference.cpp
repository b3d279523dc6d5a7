// Benchmark of the functional reference simulator (not a test): synaptic events per second on the random
// benchmark network of make_benchmark_network (default 100k neurons x 100 synapses = 10M synapses, about
// 5 % activity), one thread. Each repeat resets the simulator, runs `warmup` untimed steps, then times
// `steps` steps. Wall time (steady_clock) and this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) are both
// recorded: on a shared machine the CPU time is the steadier one, and it is what Brian2's standalone
// mode reports for its own run (std::clock()). Writes a JSON file; see docs/performance.md.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "random_network.h"
#include "reference_sim.h"

#include "bench_util.h"

namespace po = boost::program_options;
using namespace spikemesh;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

struct Repeat {
  double wall_s = 0, cpu_s = 0;
  uint64_t spikes = 0, events = 0;
  double min_activity = 1, max_activity = 0;  // per step, over the timed steps
};

std::string json_list(const std::vector<double>& v) {
  std::ostringstream s;
  s.precision(10);
  s << '[';
  for (size_t k = 0; k < v.size(); ++k) s << (k ? ", " : "") << v[k];
  s << ']';
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t neurons = 0, fanout = 0, warmup = 0, steps = 0, repeats = 0;
  uint64_t seed = 0;
  std::string out;
  po::options_description opts("bench_reference: reference simulator throughput on the benchmark network");
  opts.add_options()("help,h", "show this help")("neurons", po::value(&neurons)->default_value(100000), "neurons")(
      "fanout", po::value(&fanout)->default_value(100), "outgoing synapses per neuron")(
      "seed", po::value(&seed)->default_value(1), "network seed")(
      "warmup", po::value(&warmup)->default_value(500),
      "untimed steps before each timed run (the bias-driven start is synchronous; 500 steps let the phases spread)")(
      "steps", po::value(&steps)->default_value(200), "timed steps per repeat")(
      "repeats", po::value(&repeats)->default_value(3), "timed repeats (best and median are reported)")(
      "out", po::value(&out)->default_value("bench/results/reference.json"), "JSON output path");
  if (const int rc = bench::parse_args(argc, argv, opts, "bench_reference"); rc >= 0) return rc;
  if (neurons == 0 || steps == 0 || repeats == 0) {
    std::fprintf(stderr, "bench_reference: --neurons, --steps and --repeats must be positive\n");
    return 2;
  }

  const double t0 = bench::wall_now();
  const Network net = make_benchmark_network(neurons, fanout, seed);
  const double t1 = bench::wall_now();
  ReferenceSimulator sim(net);
  const double t2 = bench::wall_now();
  const double build_net_s = t1 - t0, build_sim_s = t2 - t1;
  const uint64_t synapses = net.total_synapses();
  std::printf("network: %u neurons, %llu synapses; built in %.3f s (network) + %.3f s (simulator)\n", neurons,
              static_cast<unsigned long long>(synapses), build_net_s, build_sim_s);

  std::vector<Repeat> reps;
  for (uint32_t r = 0; r < repeats; ++r) {
    sim.reset();
    for (uint32_t t = 0; t < warmup; ++t) sim.step();
    Repeat rep;
    const uint64_t ev0 = sim.synaptic_events(), sp0 = sim.spike_count();
    const double w0 = bench::wall_now(), c0 = bench::cpu_now(CLOCK_THREAD_CPUTIME_ID);
    for (uint32_t t = 0; t < steps; ++t) {
      const uint64_t before = sim.spike_count();
      sim.step();
      const double a = double(sim.spike_count() - before) / neurons;  // cheap: spike_count is a counter
      rep.min_activity = std::min(rep.min_activity, a);
      rep.max_activity = std::max(rep.max_activity, a);
    }
    rep.cpu_s = bench::cpu_now(CLOCK_THREAD_CPUTIME_ID) - c0;
    rep.wall_s = bench::wall_now() - w0;
    rep.events = sim.synaptic_events() - ev0;
    rep.spikes = sim.spike_count() - sp0;
    std::printf(
        "repeat %u: %u steps, wall %.3f s, cpu %.3f s, %.2f M events/s (wall), %.2f M events/s (cpu), "
        "activity %.4f (per step %.4f..%.4f)\n",
        r, steps, rep.wall_s, rep.cpu_s, rep.events / rep.wall_s / 1e6, rep.events / rep.cpu_s / 1e6,
        double(rep.spikes) / (double(neurons) * steps), rep.min_activity, rep.max_activity);
    reps.push_back(rep);
  }

  std::vector<double> ev_wall, ev_cpu, st_wall, st_cpu, act;
  double min_act = 1, max_act = 0;
  for (const auto& r : reps) {
    ev_wall.push_back(r.events / r.wall_s);
    ev_cpu.push_back(r.events / r.cpu_s);
    st_wall.push_back(steps / r.wall_s);
    st_cpu.push_back(steps / r.cpu_s);
    act.push_back(double(r.spikes) / (double(neurons) * steps));
    min_act = std::min(min_act, r.min_activity);
    max_act = std::max(max_act, r.max_activity);
  }
  const double best_ev_cpu = *std::max_element(ev_cpu.begin(), ev_cpu.end());
  const double best_ev_wall = *std::max_element(ev_wall.begin(), ev_wall.end());
  std::printf("synaptic events/s: best %.2f M (cpu) / %.2f M (wall), median %.2f M (cpu) / %.2f M (wall)\n",
              best_ev_cpu / 1e6, best_ev_wall / 1e6, median(ev_cpu) / 1e6, median(ev_wall) / 1e6);
  std::printf("steps/s: best %.2f (cpu) / %.2f (wall); activity %.4f spikes per neuron per step\n",
              *std::max_element(st_cpu.begin(), st_cpu.end()), *std::max_element(st_wall.begin(), st_wall.end()),
              median(act));

  const std::string cmd = bench::command_line(argc, argv);
  std::ofstream f = bench::open_result(out);
  f << "{\n"
    << "  \"benchmark\": \"reference_simulator\",\n"
    << "  \"command\": \"" << cmd << "\",\n"
    << "  \"cpu_model\": \"" << bench::cpu_model() << "\",\n"
    << "  \"threads\": 1,\n"
    << "  \"neurons\": " << neurons << ",\n"
    << "  \"fanout\": " << fanout << ",\n"
    << "  \"synapses\": " << synapses << ",\n"
    << "  \"seed\": " << seed << ",\n"
    << "  \"warmup_steps\": " << warmup << ",\n"
    << "  \"timed_steps\": " << steps << ",\n"
    << "  \"repeats\": " << repeats << ",\n"
    << "  \"build_network_s\": " << build_net_s << ",\n"
    << "  \"build_simulator_s\": " << build_sim_s << ",\n"
    << "  \"activity\": " << median(act) << ",\n"
    << "  \"activity_per_step_min\": " << min_act << ",\n"
    << "  \"activity_per_step_max\": " << max_act << ",\n"
    << "  \"synaptic_events_per_repeat\": " << reps[0].events << ",\n"
    << "  \"events_per_s_cpu\": {\"best\": " << best_ev_cpu << ", \"median\": " << median(ev_cpu)
    << ", \"all\": " << json_list(ev_cpu) << "},\n"
    << "  \"events_per_s_wall\": {\"best\": " << best_ev_wall << ", \"median\": " << median(ev_wall)
    << ", \"all\": " << json_list(ev_wall) << "},\n"
    << "  \"steps_per_s_cpu\": {\"best\": " << *std::max_element(st_cpu.begin(), st_cpu.end())
    << ", \"median\": " << median(st_cpu) << "},\n"
    << "  \"steps_per_s_wall\": {\"best\": " << *std::max_element(st_wall.begin(), st_wall.end())
    << ", \"median\": " << median(st_wall) << "}\n"
    << "}\n";
  if (!f) {
    std::fprintf(stderr, "bench_reference: cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
