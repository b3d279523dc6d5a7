// `spikemesh run` with an `fsddim:` section: generates images with the FSDDIM denoising loop running on
// the chip (S DDIM steps x (T + D) chip timesteps per image, the fixed-point DDIM update on the management
// core), checks them against the fixed-point reference sampler, and writes DIR/samples.png,
// DIR/samples.h5 and DIR/report.json (whole run, plus per image, per DDIM step and per timestep).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "chip_backend.h"
#include "chip_run.h"
#include "compiler.h"
#include "config.h"
#include "ddim_sampler.h"
#include "energy.h"
#include "network.h"

namespace spikemesh {

// What the loop's checks establish: the exported schedule and the run's DDIM steps, made once.
struct FsddimSetup {
  DdimSchedule exported;   // as in the network file (its T)
  DdimPlan plan;           // S -> (t, t_prev, bias context), shared by every sampler of the run
  uint32_t in_flight = 1;  // images on the chip at a time (fsddim.pipeline, at most the image count)
  PipelineLayout layout;   // when in_flight > 1: the pipelined schedule
};

// The loop's checks before anything runs (also `spikemesh run --check`): balances `net` if it has no
// pipeline depth, then the quality metric, the FSDDIM schedule, S (and that the export has its time
// embeddings), the float checkpoint and fsddim.pipeline (a pipelined network must be feed-forward and
// exactly delay balanced; K at most ceil((T + D) / T)). Throws Error naming the key.
FsddimSetup check_fsddim(const RunConfig& cfg, Network& net);

// What one run of the loop measured: handed from the loop to the report (fsddim_report.h) and the console
// view (fsddim_console.h). Counters are cumulative snapshots; intervals are differences of two of them.
struct FsddimResults {
  DdimSchedule schedule;                    // the run's (T after fsddim.snn_timesteps, D)
  DdimPlan plan;                            // its S DDIM steps
  ChipRunOutput run;                        // the program and the whole run's counters
  CompileReport compile;                    // placement and its measured traffic
  std::vector<ChipCounters> image_marks;    // at the start of each image, and one after the last
  std::vector<ChipCounters> step_marks;     // after each DDIM step, all images in order
  std::vector<ChipTotals> timesteps;        // chip-wide totals after every timestep
  uint32_t in_flight = 1;                   // images on the chip at a time (1: the sequential loop)
  PipelineLayout layout;                    // pipelined: the schedule
  std::vector<PipelineSpan> spans;          // pipelined: per image, its first and last timestep
  std::vector<uint64_t> image_cycles;       // per image: cycles from its first timestep to its last update
  std::vector<uint64_t> population_spikes;  // per population, whole run
  ManagementCounters management;            // the management core's totals at the end
  uint64_t synaptic_events = 0;             // whole run, all cores
  bool reference_match = true;              // the reference sampler gave the same payloads (or was not run)
  std::vector<double> psnr;                 // per image, against the exported model (fsddim.quality: psnr)
  std::vector<double> float_psnr;           // per image, against the float model (fsddim.float_checkpoint)
  std::string float_checkpoint;             // its path; empty: not measured
  double host_s = 0, reference_s = 0;       // host seconds of the chip's and the reference sampler's images
  double compile_s = 0;                     // host seconds of preparing and compiling the network (rates included)
};

// The network the loop's chip runs, from `net` as check_fsddim left it: the run's T (fsddim.snn_timesteps,
// into `s`, which starts as setup.exported), fsddim.weight_bits, bias gating, then, with images in flight,
// the pipelined form (enable_pipelining; `sequential`, when given, receives the network before it). Returns
// the compile options: with chip.mapping.rates: workload, the firing rates of the reference sampler on the
// sequential network (ddim_firing_rates: chip.mapping.rate_images images, x_T from chip.mapping.rate_seed,
// the run's S). The loop and `spikemesh map` both compile what this gives, so they map alike.
CompileOptions prepare_fsddim_chip_network(const RunConfig& cfg, const FsddimSetup& setup, Network& net,
                                           DdimSchedule& s, Network* sequential = nullptr);

// check_fsddim, then prepare_fsddim_chip_network: `net` becomes the network the loop's chip runs, and the
// result is its compile options (`spikemesh map` and `run --check` compile what the loop compiles).
CompileOptions fsddim_chip_network(const RunConfig& cfg, Network& net);

// The loop: checks, compiles `net` onto the chip (after fsddim.weight_bits and bias gating), runs the
// images through the DDIM sampler on it, checks them against the reference sampler, measures quality,
// writes DIR/samples.h5, DIR/samples.png (and the traces when asked). `view`, when given, is told of
// every image and DDIM step as it happens.
FsddimResults run_fsddim_loop(const RunConfig& cfg, Network& net, const std::filesystem::path& dir,
                              DdimProgress* view = nullptr);

// The whole command: the loop with a progress bar, then report.json, host.json and the summary table.
// Returns the exit status: 0, or 4 when the chip's images differ from the reference sampler's.
int run_fsddim(const RunConfig& cfg, Network& net, const EnergyTable& table, const std::filesystem::path& dir);

}  // namespace spikemesh
