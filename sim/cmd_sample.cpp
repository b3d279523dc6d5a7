// `spikemesh sample NET.h5`: the fixed-point reference sampler. Runs the FSDDIM denoising loop with the
// reference simulator as the network (no chip timing), writes DIR/samples.png and DIR/samples.h5.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "config.h"
#include "ddim_sampler.h"
#include "delay_balance.h"
#include "error.h"
#include "network_file.h"
#include "samples.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace spikemesh::cli {
namespace {

// A one-line progress bar on stderr: image, DDIM step, elapsed seconds.
struct Bar : DdimProgress {
  uint32_t image = 0, images = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void on_image(uint32_t k, uint32_t n) override { image = k, images = n; }
  void on_step(uint32_t step, uint32_t steps) override {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\rimage %u/%u  DDIM step %u/%u  %.1f s ", image + 1, images, step, steps, s);
    if (step == steps && image + 1 == images) std::fprintf(stderr, "\n");
  }
};

}  // namespace

int cmd_sample(const Args& args) {
  po::options_description opts("sample options");
  std::string net_path, out_dir;
  FsddimParams p;  // the defaults `spikemesh run` has for its fsddim: section
  p.images = FsddimParams::kSampleImages;
  bool no_gate = false;
  uint32_t pipeline = 1;
  uint32_t first_image = 0;
  opts.add_options()("help,h", "show this help")("network", po::value(&net_path)->required(),
                                                 "FSDDIM network file (balanced or not)")(
      "steps", po::value(&p.steps)->default_value(p.steps), "DDIM steps S")(
      "images", po::value(&p.images)->default_value(p.images), "images to generate")(
      "first-image", po::value(&first_image)->default_value(0),
      "index of the first image (its noise stream): pieces of one set made in parallel")(
      "seed", po::value(&p.seed)->default_value(p.seed), "noise seed")("trajectory", po::bool_switch(&p.trajectory),
                                                                       "also store x after every DDIM step")(
      "no-bias-gating", po::bool_switch(&no_gate), "keep every bias on after its population's T-step window")(
      "pipeline", po::value(&pipeline)->default_value(pipeline),
      "images in flight (docs/architecture.md#image-pipelining; 0: as many as fit)")(
      "out", po::value(&out_dir)->default_value("out/sample"), "output folder");
  po::positional_options_description pos;
  pos.add("network", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  Network net = read_network(net_path);
  if (!net.metadata.attributes.count("pipeline_depth")) {
    const BalanceReport rep = balance_delays(net);
    std::printf("balanced %s: pipeline depth D = %u\n", net_path.c_str(), rep.depth);
  }
  const DdimSchedule s = read_ddim_schedule(net, net_path);
  if (!no_gate) gate_bias_after_window(net, s.snn_timesteps);
  // S valid, and its time embeddings exported, before anything is written.
  const DdimPlan plan = plan_ddim(s, p.steps);
  PipelineLayout layout;
  if (pipeline != 1) {
    layout = pipeline_layout(net, s, net_path);
    if (pipeline > layout.max_in_flight)
      throw Error("--pipeline: " + std::to_string(pipeline) + " images in flight do not fit: one DDIM step takes " +
                  std::to_string(layout.period) + " timesteps, one image per T = " + std::to_string(s.snn_timesteps) +
                  " of them: the largest value that fits is " + std::to_string(layout.max_in_flight));
    pipeline = std::max(1u, std::min(pipeline ? pipeline : layout.max_in_flight, p.images));
    if (pipeline > 1) enable_pipelining(net, layout, s);
  }
  fs::create_directories(out_dir);
  ReferenceBackend backend(net);
  Bar bar;
  const SampleSet set =
      pipeline > 1
          ? sample_images_pipelined(backend, net, s, plan, layout, pipeline, p.images, p.seed, p.trajectory,
                                    "reference", nullptr, &bar, first_image)
          : sample_images(backend, net, s, plan, p.images, p.seed, p.trajectory, "reference", &bar, first_image);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - bar.start).count();
  const fs::path dir(out_dir);
  write_samples_h5(set, s, (dir / "samples.h5").string());
  write_samples_png(set, (dir / "samples.png").string());
  const uint64_t events = backend.simulator().synaptic_events();
  std::printf(
      "%u images (%u in flight), S = %u DDIM steps x (T = %u + D = %u) timesteps; %.2f s (%.1f images/hour), "
      "%.3g synaptic events/s\n",
      p.images, pipeline, p.steps, s.snn_timesteps, s.pipeline_depth, seconds, p.images / seconds * 3600.0,
      events / seconds);
  std::printf("wrote %s, %s\n", (dir / "samples.png").c_str(), (dir / "samples.h5").c_str());
  return 0;
}

}  // namespace spikemesh::cli
