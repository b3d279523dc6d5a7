// Benchmark of the mesh alone (not a test): an 8 x 8 router mesh (Loihi 1 router timing, 4 cores per
// router) under uniform random traffic at a given injection rate (flits per router per cycle); simulated
// cycles per second of host time. One SystemC elaboration per process: one rate per invocation.
#include <boost/program_options.hpp>

#include <systemc>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "noc.h"
#include "traffic.h"

#include "bench_util.h"

namespace po = boost::program_options;
using namespace spikemesh;

int sc_main(int argc, char** argv) {
  double rate = 0;
  uint64_t cycles = 0, seed = 0;
  uint32_t width = 0, height = 0;
  std::string out;
  po::options_description opts("bench_mesh: the mesh alone under uniform random traffic");
  opts.add_options()("help,h", "show this help")("rate", po::value(&rate)->default_value(0.001),
                                                 "flits injected per router per cycle")(
      "cycles", po::value(&cycles)->default_value(10000000), "simulated cycles of injection")(
      "width", po::value(&width)->default_value(8), "routers along x")(
      "height", po::value(&height)->default_value(8), "routers along y")("seed", po::value(&seed)->default_value(1),
                                                                         "traffic seed")(
      "out", po::value(&out)->default_value("bench/results/mesh_0.001.json"), "JSON output path");
  if (const int rc = bench::parse_args(argc, argv, opts, "bench_mesh"); rc >= 0) return rc;
  if (rate <= 0 || rate > 1) {
    std::fprintf(stderr, "bench_mesh: --rate must be in (0, 1]\n");
    return 2;
  }
  const RouterParams router;  // Loihi 1 defaults (model/chip_params.h)
  const MeshGeometry geo{1, 1, width, height, 4};
  Noc noc("noc", geo, router);
  UniformTraffic traffic("traffic", noc, router, rate, seed, cycles);
  const double w0 = bench::wall_now(), c0 = bench::cpu_now();
  sc_core::sc_start();  // injection stops at `cycles`; runs on until the mesh is empty
  const double wall = bench::wall_now() - w0, cpu = bench::cpu_now() - c0;
  const uint64_t simulated = noc.scheduler().last_cycle();  // the scheduler runs ahead of kernel time
  const TrafficStats& s = traffic.stats();
  RouterCounters total;
  for (const auto& r : noc.routers()) total += r->counters();
  const uint64_t hops = total.hops_ew + total.hops_ns, stalls = total.stall_cycles;
  const double mean_latency = s.ejected ? double(s.latency_sum) / s.ejected : 0.0;
  std::printf(
      "%ux%u mesh, rate %g flits/router/cycle: %llu cycles in %.3f s wall (%.3f s cpu): %.3g cycles/s (wall), "
      "%.3g (cpu)\n",
      width, height, rate, static_cast<unsigned long long>(simulated), wall, cpu, simulated / wall, simulated / cpu);
  std::printf(
      "flits %llu injected, %llu ejected; mean latency %.1f cycles (max %llu); %llu hops, %llu stall cycles; "
      "%llu router steps in %llu busy cycles\n",
      static_cast<unsigned long long>(s.injected), static_cast<unsigned long long>(s.ejected), mean_latency,
      static_cast<unsigned long long>(s.latency_max), static_cast<unsigned long long>(hops),
      static_cast<unsigned long long>(stalls), static_cast<unsigned long long>(noc.scheduler().steps()),
      static_cast<unsigned long long>(noc.scheduler().busy_cycles()));
  const std::string cmd = bench::command_line(argc, argv);
  std::ofstream f = bench::open_result(out);
  f << "{\n"
    << "  \"benchmark\": \"mesh_uniform_random\",\n"
    << "  \"command\": \"" << cmd << "\",\n"
    << "  \"cpu_model\": \"" << bench::cpu_model() << "\",\n"
    << "  \"mesh\": [" << width << ", " << height << "],\n"
    << "  \"cores_per_router\": 4,\n"
    << "  \"rate_flits_per_router_cycle\": " << rate << ",\n"
    << "  \"seed\": " << seed << ",\n"
    << "  \"simulated_cycles\": " << simulated << ",\n"
    << "  \"flits_injected\": " << s.injected << ",\n"
    << "  \"flits_ejected\": " << s.ejected << ",\n"
    << "  \"mean_latency_cycles\": " << mean_latency << ",\n"
    << "  \"max_latency_cycles\": " << s.latency_max << ",\n"
    << "  \"stall_cycles\": " << stalls << ",\n"
    << "  \"wall_s\": " << wall << ",\n"
    << "  \"cpu_s\": " << cpu << ",\n"
    << "  \"cycles_per_s_wall\": " << simulated / wall << ",\n"
    << "  \"cycles_per_s_cpu\": " << simulated / cpu << "\n"
    << "}\n";
  std::printf("wrote %s\n", out.c_str());
  return s.injected == s.ejected ? 0 : 1;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
