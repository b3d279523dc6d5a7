// The FSDDIM loop on the console: a progress bar on stderr while the images are generated, a summary table
// (per image: cycles, latency, energy, synaptic ops) and the files written on stdout after.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "config.h"
#include "ddim_sampler.h"
#include "energy.h"
#include "fsddim_run.h"

namespace spikemesh {

// One line on stderr redrawn after every DDIM step: done fraction, image, DDIM step, elapsed seconds
// (counted from the first image). Pipelined, the line names the image whose step just finished.
class FsddimProgressBar : public DdimProgress {
 public:
  void on_image(uint32_t image, uint32_t images) override;
  void on_step(uint32_t step, uint32_t steps) override;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  uint32_t image_ = 0, images_ = 0;
  bool started_ = false;
};

void print_fsddim_summary(const RunConfig& cfg, const EnergyTable& table, const FsddimResults& r,
                          const std::filesystem::path& dir);

}  // namespace spikemesh
