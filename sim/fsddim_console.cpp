// Progress bar and summary table of the FSDDIM loop; see fsddim_console.h.
#include "fsddim_console.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace spikemesh {

void FsddimProgressBar::on_image(uint32_t image, uint32_t images) {
  if (image == 0 && !started_) start_ = std::chrono::steady_clock::now();  // pipelined: image 0 comes back
  started_ = true;
  image_ = image, images_ = images;
}

void FsddimProgressBar::on_step(uint32_t step, uint32_t steps) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const uint32_t done = image_ * steps + step, total = images_ * steps;
  const int width = 30, filled = static_cast<int>(width * double(done) / total);
  std::fprintf(stderr, "\r[%.*s%*s] image %u/%u  DDIM step %u/%u  %.0f s ", filled, "##############################",
               width - filled, "", image_ + 1, images_, step, steps, s);
  if (done == total) std::fprintf(stderr, "\n");
}

void print_fsddim_summary(const RunConfig& cfg, const EnergyTable& table, const FsddimResults& r,
                          const std::filesystem::path& dir) {
  const FsddimParams& fp = cfg.run.fsddim;
  const double mhz = cfg.chip.clock_mhz;
  std::printf("\n%-6s %12s %14s %14s %14s\n", "image", "cycles", "latency (s)", "energy (J)", "synaptic ops");
  const double run_s = r.run.counters.cycles / (mhz * 1e6);
  const double run_j = price_energy(r.run.counters, table).total_j;
  const bool pipelined = r.in_flight > 1;
  for (uint32_t k = 0; k < fp.images && pipelined; ++k)  // energy: an equal share of the run's (report.json)
    std::printf("%-6u %12llu %14.6g %14.6g %14s\n", k, static_cast<unsigned long long>(r.image_cycles[k]),
                r.image_cycles[k] / (mhz * 1e6), run_j / fp.images, "shared");
  for (uint32_t k = 0; k < fp.images && !pipelined; ++k) {
    const ChipCounters iv = counters_between(r.image_marks[k], r.image_marks[k + 1]);
    const uint64_t c = r.image_marks[k + 1].cycles - r.image_marks[k].cycles;
    const uint64_t sy = iv.core_total().synops();
    std::printf("%-6u %12llu %14.6g %14.6g %14llu\n", k, static_cast<unsigned long long>(c), c / (mhz * 1e6),
                price_energy(iv, table).total_j, static_cast<unsigned long long>(sy));
  }
  std::printf("S = %u DDIM steps x (T = %u + D = %u) timesteps per image; %u cores used; energy table %s\n", fp.steps,
              r.schedule.snn_timesteps, r.schedule.pipeline_depth, r.run.program.cores_used, table.name.c_str());
  double lat = 0;
  for (uint64_t c : r.image_cycles) lat += c / (mhz * 1e6);
  std::printf(
      "%u image(s) in flight: throughput %.4g images/s (emulated), latency per image %.4g s, energy per "
      "image %.4g J (the run's %.4g J over %u images)\n",
      r.in_flight, run_s > 0 ? fp.images / run_s : 0.0, fp.images ? lat / fp.images : 0.0,
      fp.images ? run_j / fp.images : 0.0, run_j, fp.images);
  auto print_psnr = [&](const char* what, const std::vector<double>& v) {
    if (v.empty()) return;
    std::printf("PSNR against %s:", what);
    for (double x : v) std::printf(std::isfinite(x) ? " %.2f" : " identical", x);
    std::printf(" dB\n");
  };
  print_psnr("the exported model's images", r.psnr);
  print_psnr("the float model's images", r.float_psnr);
  std::printf("host: %.1f s, %.1f images/hour, %.3g synaptic events/s%s\n", r.host_s, fp.images / r.host_s * 3600.0,
              r.synaptic_events / r.host_s,
              fp.check_reference ? (r.reference_match ? "; images identical to the reference sampler's" : "") : "");
  std::printf("wrote %s, %s, %s, %s\n", (dir / "samples.png").c_str(), (dir / "samples.h5").c_str(),
              (dir / "report.json").c_str(), (dir / "host.json").c_str());
}

}  // namespace spikemesh
