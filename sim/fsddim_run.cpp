// The FSDDIM denoising loop on the chip; see fsddim_run.h.
#include "fsddim_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "delay_balance.h"
#include "error.h"
#include "float_quality.h"
#include "fsddim_console.h"
#include "fsddim_report.h"
#include "samples.h"
#include "trace_output.h"

namespace spikemesh {
namespace {

// Records what every timestep cost: the chip-wide totals after it, and each population's spikes.
class RecordingBackend : public TimestepBackend {
 public:
  RecordingBackend(ChipBackend& chip, const Network& net)
      : chip_(chip), net_(net), pop_spikes_(net.populations.size(), 0) {}
  void reset() override { chip_.reset(); }
  void set_context(uint32_t c) override { chip_.set_context(c); }
  void set_bias_times(const std::vector<BiasTime>& t) override { chip_.set_bias_times(t); }
  void set_input(uint32_t p, const int32_t* x) override { chip_.set_input(p, x); }
  void step() override {
    before_.push_back(chip_.cycle());
    chip_.step();
    steps_.push_back(chip_.totals());
    for (uint32_t p = 0; p < net_.populations.size(); ++p) {
      const uint8_t* s = chip_.spikes(p);
      uint64_t n = 0;
      for (uint64_t i = 0; i < net_.populations[p].size(); ++i) n += s[i];
      pop_spikes_[p] += n;
    }
  }
  void request_currents(uint32_t p) override { chip_.request_currents(p); }
  const int32_t* currents(uint32_t p) const override { return chip_.currents(p); }
  void account_update(uint64_t n) override {
    chip_.account_update(n);
    update_end_.resize(steps_.size(), 0);
    update_end_.back() = chip_.cycle();  // the update's compute included
  }

  const std::vector<ChipTotals>& steps() const { return steps_; }
  // The chip's cycle (a pending DDIM update's compute included) before timestep g, and after the update
  // computed after timestep g (0: none).
  uint64_t cycle_before(uint64_t g) const { return before_[g]; }
  uint64_t update_end(uint64_t g) const { return g < update_end_.size() ? update_end_[g] : 0; }
  const std::vector<uint64_t>& population_spikes() const { return pop_spikes_; }

 private:
  ChipBackend& chip_;
  const Network& net_;
  std::vector<ChipTotals> steps_;
  std::vector<uint64_t> pop_spikes_;
  std::vector<uint64_t> before_, update_end_;
};

// Snapshots the full counters (for priced breakdowns) at every DDIM step and image boundary, and passes
// each event on to the view.
struct Marks : DdimProgress {
  Marks(ChipBackend& c, DdimProgress* v) : chip(c), view(v) {}
  ChipBackend& chip;
  DdimProgress* view;
  std::vector<ChipCounters> step_marks;   // after each DDIM step, all images in order
  std::vector<ChipCounters> image_marks;  // at the start of each image (and one at the end)
  void on_image(uint32_t k, uint32_t n) override {
    image_marks.push_back(chip.counters());
    if (view) view->on_image(k, n);
  }
  void on_step(uint32_t step, uint32_t steps) override {
    step_marks.push_back(chip.counters());
    if (view) view->on_step(step, steps);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

FsddimSetup check_fsddim(const RunConfig& cfg, Network& net) {
  const FsddimParams& fp = cfg.run.fsddim;
  if (!net.metadata.attributes.count("pipeline_depth")) {
    const BalanceReport rep = balance_delays(net);
    std::printf("delay-balanced %s: pipeline depth D = %u timesteps\n", cfg.network_path().c_str(), rep.depth);
  }
  if (fp.quality != "none" && fp.quality != "psnr")
    throw Error(cfg.path + ": fsddim.quality: unknown value '" + fp.quality + "': expected 'none' or 'psnr'");
  FsddimSetup setup;
  setup.exported = read_ddim_schedule(net, cfg.network_path());
  try {  // S, and that the export has its time embeddings (the plan does not depend on T)
    setup.plan = plan_ddim(setup.exported, fp.steps);
  } catch (const Error& e) {
    throw Error(cfg.path + ": fsddim.steps: " + e.what());
  }
  // fsddim.pipeline: 1, K >= 2 or auto; a pipelined network is feed-forward and exactly delay balanced, and
  // K images fit in one DDIM step's P timesteps (one per T-timestep slot).
  const std::string key = cfg.path + ": fsddim.pipeline";
  uint64_t want = 0;
  if (fp.pipeline != "auto") {
    size_t used = 0;
    try {
      want = std::stoull(fp.pipeline, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != fp.pipeline.size() || want < 1 || fp.pipeline[0] == '-')
      throw Error(key + ": expected 'auto' or a whole number of images in flight >= 1, got '" + fp.pipeline + "'");
  }
  if (want != 1) {
    DdimSchedule run_s = setup.exported;
    if (fp.snn_timesteps) run_s.snn_timesteps = fp.snn_timesteps;
    try {
      setup.layout = pipeline_layout(net, run_s, cfg.network_path());
    } catch (const Error& e) {
      throw Error(key + ": " + e.what());
    }
    const PipelineLayout& l = setup.layout;
    if (want > l.max_in_flight)
      throw Error(key + ": " + fp.pipeline +
                  " images in flight do not fit: one DDIM step of an image takes P = " + std::to_string(l.period) +
                  " timesteps (T + D = " + std::to_string(run_s.snn_timesteps + run_s.pipeline_depth) +
                  " rounded up to a multiple of T = " + std::to_string(run_s.snn_timesteps) +
                  "), one image per T of them: the largest value that fits is " + std::to_string(l.max_in_flight));
    setup.in_flight = static_cast<uint32_t>(std::min<uint64_t>(want ? want : l.max_in_flight, fp.images));
    setup.in_flight = std::max(setup.in_flight, 1u);
    if (setup.in_flight > 1 && (cfg.run.trace.vcd || cfg.run.trace.hdf5))
      throw Error(key + ": " + std::to_string(setup.in_flight) +
                  " images in flight cannot be traced (trace windows count DDIM steps, which overlap when "
                  "pipelined): set fsddim.pipeline: 1 or turn trace.vcd and trace.hdf5 off");
  }
  const std::string float_checkpoint = cfg.float_checkpoint_path();
  if (!float_checkpoint.empty()) {
    try {
      check_torch_checkpoint(float_checkpoint);
    } catch (const Error& e) {
      throw Error(cfg.path + ": fsddim.float_checkpoint: " + e.what());
    }
  }
  return setup;
}

CompileOptions prepare_fsddim_chip_network(const RunConfig& cfg, const FsddimSetup& setup, Network& net,
                                           DdimSchedule& s, Network* sequential) {
  const FsddimParams& fp = cfg.run.fsddim;
  const MappingParams& mp = cfg.chip.mapping;
  if (fp.snn_timesteps) s.snn_timesteps = fp.snn_timesteps;
  if (fp.weight_bits) limit_weight_bits(net, static_cast<uint8_t>(fp.weight_bits));
  if (fp.gate_bias) gate_bias_after_window(net, s.snn_timesteps);
  CompileOptions options;
  if (mp.rates == "workload") {
    options.rates = ddim_firing_rates(net, s, setup.plan, mp.rate_images, mp.rate_seed);
    options.rates_source = "workload: the reference sampler, " + std::to_string(mp.rate_images) + " image" +
                           (mp.rate_images == 1 ? "" : "s") + ", S = " + std::to_string(setup.plan.size()) +
                           ", x_T seed " + std::to_string(mp.rate_seed);
  }
  if (mp.objective == "interleave") {
    // One image at a time, a population's window is its delay-balanced depth (bias_start, as balance_delays
    // sets it) and T. Pipelined, every population works in every timestep: one window of one timestep for
    // all, where the busiest timestep is the sum and the fill is in file order (interleave is then balance).
    for (const Population& p : net.populations) options.window_start.push_back(setup.in_flight > 1 ? 0 : p.bias_start);
    options.window_length = setup.in_flight > 1 ? 1 : s.snn_timesteps;
  }
  if (setup.in_flight > 1) {
    if (sequential) *sequential = net;
    enable_pipelining(net, setup.layout, s);
  }
  return options;
}

CompileOptions fsddim_chip_network(const RunConfig& cfg, Network& net) {
  const FsddimSetup setup = check_fsddim(cfg, net);
  DdimSchedule s = setup.exported;
  return prepare_fsddim_chip_network(cfg, setup, net, s);
}

FsddimResults run_fsddim_loop(const RunConfig& cfg, Network& net, const std::filesystem::path& dir,
                              DdimProgress* view) {
  const FsddimParams& fp = cfg.run.fsddim;
  const FsddimSetup setup = check_fsddim(cfg, net);
  FsddimResults r;
  r.plan = setup.plan;
  // The exported model as it is (its T, its weight bits): what quality is measured against.
  const DdimSchedule& exported_s = setup.exported;
  Network exported = net;
  if (fp.gate_bias) gate_bias_after_window(exported, exported_s.snn_timesteps);
  DdimSchedule& s = r.schedule;
  s = setup.exported;
  r.float_checkpoint = cfg.float_checkpoint_path();
  // Pipelined: the chip runs the network with periodic resets; the reference check runs the sequential
  // sampler on the network as the sequential loop would (a copy taken before).
  r.in_flight = setup.in_flight;
  r.layout = setup.layout;
  std::unique_ptr<Network> sequential;
  if (r.in_flight > 1 && fp.check_reference) sequential = std::make_unique<Network>();
  const auto c0 = std::chrono::steady_clock::now();
  const CompileOptions options = prepare_fsddim_chip_network(cfg, setup, net, s, sequential.get());
  const CompiledNetwork compiled = compile_network(net, cfg.chip, options);  // partition, place by measured traffic
  r.compile_s = seconds_since(c0);
  r.run.program = compiled.program;
  r.compile = compiled.report;
  ChipBackend chip(net, compiled.program, cfg.chip);
  const std::unique_ptr<Tracer> tracer =
      make_tracer(cfg, net, uint64_t{fp.images} * r.plan.size(), s.snn_timesteps + s.pipeline_depth);
  if (tracer) chip.attach_tracer(*tracer);  // may refuse (VCD size cap) before anything runs
  RecordingBackend rec(chip, net);
  Marks marks(chip, view);
  const auto t0 = std::chrono::steady_clock::now();
  SampleSet set;
  if (r.in_flight > 1) {
    set = sample_images_pipelined(rec, net, s, r.plan, r.layout, r.in_flight, fp.images, fp.seed, fp.trajectory, "chip",
                                  &r.spans, view);
    for (const PipelineSpan& sp : r.spans)
      r.image_cycles.push_back(rec.update_end(sp.last_timestep) - rec.cycle_before(sp.first_timestep));
  } else {
    set = sample_images(rec, net, s, r.plan, fp.images, fp.seed, fp.trajectory, "chip", &marks);
  }
  r.host_s = seconds_since(t0);
  marks.image_marks.push_back(chip.counters());
  if (r.in_flight == 1)
    for (uint32_t k = 0; k < fp.images; ++k)
      r.image_cycles.push_back(marks.image_marks[k + 1].cycles - marks.image_marks[k].cycles);

  // The same images from the reference sampler: they must be identical.
  if (fp.check_reference) {
    const auto r0 = std::chrono::steady_clock::now();
    const Network& seq = sequential ? *sequential : net;
    ReferenceBackend ref(seq);
    const SampleSet rset = sample_images(ref, seq, s, r.plan, fp.images, fp.seed, false, "reference");
    r.reference_s = seconds_since(r0);
    r.reference_match = rset.payloads == set.payloads;
  }

  // Quality: PSNR of the chip's images against the exported model's (reference sampler, same S and seed).
  if (fp.quality == "psnr") {
    ReferenceBackend ref(exported);
    const SampleSet eset = sample_images(ref, exported, exported_s, r.plan, fp.images, fp.seed, false, "reference");
    for (uint32_t k = 0; k < fp.images; ++k) r.psnr.push_back(psnr_db(set.images[k], eset.images[k]));
  }

  write_samples_h5(set, s, (dir / "samples.h5").string());
  // Quality against the float model: its images from the same x_T, S and T (sim/float_quality.h).
  if (!r.float_checkpoint.empty())
    r.float_psnr = psnr_against_float_model(set, r.float_checkpoint, (dir / "samples.h5").string(),
                                            (dir / "float_images.h5").string());
  write_samples_png(set, (dir / "samples.png").string());
  if (tracer) write_trace_outputs(*tracer, chip.timestep_record(), cfg, net, dir);

  r.run.counters = chip.counters();
  r.run.completed = true;
  r.run.barrier_cycles = chip.barrier_cycles();
  r.run.result.timesteps = 0;
  r.synaptic_events = r.run.counters.core_total().synops();
  r.management = chip.totals().management;
  r.image_marks = std::move(marks.image_marks);
  r.step_marks = std::move(marks.step_marks);
  r.timesteps = rec.steps();
  r.population_spikes = rec.population_spikes();
  return r;
}

int run_fsddim(const RunConfig& cfg, Network& net, const EnergyTable& table, const std::filesystem::path& dir) {
  FsddimProgressBar bar;
  const FsddimResults r = run_fsddim_loop(cfg, net, dir, &bar);
  // Host speed goes to its own file: report.json stays the same bytes for the same config and seed.
  write_fsddim_report(dir / "report.json", cfg, net, table, r);
  write_fsddim_host(dir / "host.json", cfg, r);
  print_fsddim_summary(cfg, table, r, dir);
  if (!r.reference_match) {
    std::fprintf(stderr,
                 "spikemesh run: error: the chip's images differ from the reference sampler's (see report.json)\n");
    return 4;
  }
  return 0;
}

}  // namespace spikemesh
