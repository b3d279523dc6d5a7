// The FSDDIM denoising loop on the chip; see fsddim_run.h.
#include "fsddim_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "chip_backend.h"
#include "compiler.h"
#include "delay_balance.h"
#include "error.h"
#include "float_quality.h"
#include "json_writer.h"
#include "report.h"
#include "samples.h"
#include "trace_output.h"

namespace spikemesh {
namespace {

// Records what every timestep cost: the chip-wide totals after it, and each population's spikes.
class RecordingBackend : public TimestepBackend {
 public:
  RecordingBackend(ChipBackend& chip, const Network& net) : chip_(chip), net_(net), pop_spikes_(net.populations.size(), 0) {}
  void reset() override { chip_.reset(); }
  void set_context(uint32_t c) override { chip_.set_context(c); }
  void set_input(uint32_t p, const int32_t* x) override { chip_.set_input(p, x); }
  void step() override {
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
  void account_update(uint64_t n) override { chip_.account_update(n); }

  const std::vector<ChipTotals>& steps() const { return steps_; }
  const std::vector<uint64_t>& population_spikes() const { return pop_spikes_; }

 private:
  ChipBackend& chip_;
  const Network& net_;
  std::vector<ChipTotals> steps_;
  std::vector<uint64_t> pop_spikes_;
};

// Snapshots the full counters (for priced breakdowns) at every DDIM step and image boundary, and draws
// the progress bar.
struct Progress : DdimProgress {
  ChipBackend* chip = nullptr;
  std::vector<ChipCounters> step_marks;       // after each DDIM step, all images in order
  std::vector<ChipCounters> image_marks;      // at the start of each image (and one at the end)
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  uint32_t image = 0, images = 0;
  void on_image(uint32_t k, uint32_t n) override {
    image = k, images = n;
    image_marks.push_back(chip->counters());
  }
  void on_step(uint32_t step, uint32_t steps) override {
    step_marks.push_back(chip->counters());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint32_t done = image * steps + step, total = images * steps;
    const int width = 30, filled = static_cast<int>(width * double(done) / total);
    std::fprintf(stderr, "\r[%.*s%*s] image %u/%u  DDIM step %u/%u  %.0f s ", filled,
                 "##############################", width - filled, "", image + 1, images, step, steps, s);
    if (done == total) std::fprintf(stderr, "\n");
  }
};

// The energy breakdown the FSDDIM report uses: synaptic ops, compartment updates, spike messages
// (output and input axon lookups), mesh hops, synaptic memory, management core, static.
struct Breakdown {
  double synops = 0, updates = 0, messages = 0, mesh = 0, memory = 0, management = 0, static_j = 0, total = 0, dynamic = 0;
};

// The management core's busy cycles are priced by the table's management_cycle (no shipped table has one:
// no public figure; then its part is 0 J and the report lists it under fsddim.unpriced); its messages'
// hops are in mesh_hops, their handling by the cores in spike_messages (docs/architecture.md).
Breakdown breakdown_of(const ChipCounters& interval, const EnergyTable& table) {
  const EnergyReport e = price_energy(interval, table);
  Breakdown b;
  for (const auto& [name, j] : e.core_events) {
    if (name.rfind("core.synop", 0) == 0) b.synops += j;
    else if (name.rfind("core.update", 0) == 0) b.updates += j;
    else if (name == "core.word_read") b.memory += j;
    else b.messages += j;   // spike generation, message out / in
  }
  for (const auto& [name, j] : e.router_events) b.mesh += j;
  b.management = e.management_j;
  b.static_j = e.static_j;
  b.dynamic = e.dynamic_j;
  b.total = e.total_j;
  return b;
}

void write_management(JsonWriter& j, const ManagementCounters& m) {
  j.begin_object("management");
  write_management_counters(j, m);
  j.end_object();
}

void write_breakdown(JsonWriter& j, const Breakdown& b) {
  j.begin_object("energy_j").value("total", b.total).value("dynamic", b.dynamic).value("static", b.static_j);
  j.begin_object("breakdown");
  j.value("synaptic_ops", b.synops).value("compartment_updates", b.updates).value("spike_messages", b.messages);
  j.value("mesh_hops", b.mesh).value("memory", b.memory).value("management_core", b.management).value("static", b.static_j);
  j.end_object().end_object();
}

uint64_t synops(const CoreCounters& c) { return c.synops(); }

// The mean PSNR over the images whose PSNR is finite, and how many were identical (infinite PSNR).
void write_psnr(JsonWriter& j, const std::vector<double>& psnr, const char* identical_key, const char* mean_key) {
  double sum = 0;
  uint64_t finite = 0;
  for (double v : psnr)
    if (std::isfinite(v)) sum += v, ++finite;
  j.value(identical_key, uint64_t{psnr.size() - finite});
  if (finite) j.value(mean_key, sum / static_cast<double>(finite));
}

}  // namespace

DdimSchedule check_fsddim(const RunConfig& cfg, Network& net) {
  const FsddimParams& fp = cfg.run.fsddim;
  if (!net.metadata.attributes.count("pipeline_depth")) {
    const BalanceReport rep = balance_delays(net);
    std::printf("delay-balanced %s: pipeline depth D = %u timesteps\n", cfg.network_path().c_str(), rep.depth);
  }
  if (fp.quality != "none" && fp.quality != "psnr")
    throw Error(cfg.path + ": fsddim.quality: unknown value '" + fp.quality + "': expected 'none' or 'psnr'");
  DdimSchedule s = read_ddim_schedule(net, cfg.network_path());
  DdimSchedule run_s = s;
  if (fp.snn_timesteps) run_s.snn_timesteps = fp.snn_timesteps;
  try {   // S, and that the export has its time embeddings
    ddim_contexts(run_s, fp.steps);
  } catch (const Error& e) {
    throw Error(cfg.path + ": fsddim.steps: " + e.what());
  }
  const std::string float_checkpoint = cfg.float_checkpoint_path();
  if (!float_checkpoint.empty() && !std::filesystem::is_regular_file(float_checkpoint))
    throw Error(cfg.path + ": fsddim.float_checkpoint: " + float_checkpoint + ": checkpoint not found");
  return s;
}

int run_fsddim(const RunConfig& cfg, Network& net, const EnergyTable& table, const std::filesystem::path& dir) {
  const FsddimParams& fp = cfg.run.fsddim;
  DdimSchedule s = check_fsddim(cfg, net);
  // The exported model as it is (its T, its weight bits): what quality is measured against.
  const DdimSchedule exported_s = s;
  Network exported = net;
  if (fp.gate_bias) gate_bias_after_window(exported, exported_s.snn_timesteps);
  if (fp.snn_timesteps) s.snn_timesteps = fp.snn_timesteps;
  if (fp.weight_bits) limit_weight_bits(net, static_cast<uint8_t>(fp.weight_bits));
  if (fp.gate_bias) gate_bias_after_window(net, s.snn_timesteps);
  const std::string float_checkpoint = cfg.float_checkpoint_path();

  ChipRunOutput run;
  const CompiledNetwork compiled = compile_network(net, cfg.chip);   // partition, place by measured traffic
  run.program = compiled.program;
  ChipBackend chip(net, run.program, cfg.chip);
  const std::unique_ptr<Tracer> tracer =
      make_tracer(cfg, net, uint64_t{fp.images} * ddim_times(s.diffusion_timesteps, fp.steps).size(), s.snn_timesteps + s.pipeline_depth);
  if (tracer) chip.attach_tracer(*tracer);   // may refuse (VCD size cap) before anything runs
  RecordingBackend rec(chip, net);
  Progress progress;
  progress.chip = &chip;
  const auto t0 = std::chrono::steady_clock::now();
  const SampleSet set = sample_images(rec, net, s, fp.steps, fp.images, fp.seed, fp.trajectory, "chip", &progress);
  const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.image_marks.push_back(chip.counters());

  // The same images from the reference sampler: they must be identical.
  bool reference_match = true;
  double reference_s = 0;
  if (fp.check_reference) {
    const auto r0 = std::chrono::steady_clock::now();
    ReferenceBackend ref(net);
    const SampleSet rset = sample_images(ref, net, s, fp.steps, fp.images, fp.seed, false, "reference");
    reference_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    reference_match = rset.payloads == set.payloads;
  }

  // Quality: PSNR of the chip's images against the exported model's (reference sampler, same S and seed).
  std::vector<double> psnr;
  if (fp.quality == "psnr") {
    ReferenceBackend ref(exported);
    const SampleSet eset = sample_images(ref, exported, exported_s, fp.steps, fp.images, fp.seed, false, "reference");
    for (uint32_t k = 0; k < fp.images; ++k) psnr.push_back(psnr_db(set.images[k], eset.images[k]));
  }

  write_samples_h5(set, s, (dir / "samples.h5").string());
  // Quality against the float model: its images from the same x_T, S and T (sim/float_quality.h).
  std::vector<double> float_psnr;
  if (!float_checkpoint.empty())
    float_psnr = psnr_against_float_model(set, float_checkpoint, (dir / "samples.h5").string(), (dir / "float_images.h5").string());
  write_samples_png(set, (dir / "samples.png").string());
  if (tracer) write_trace_outputs(*tracer, chip.timestep_record(), cfg, net, dir);

  // Whole-run report, plus the loop's per-image, per-DDIM-step and per-timestep results.
  run.counters = chip.counters();
  run.completed = true;
  run.result.timesteps = 0;
  const EnergyReport energy = price_energy(run.counters, table);
  const double mhz = cfg.chip.clock_mhz;
  const auto& steps = rec.steps();
  const uint32_t per_step = s.snn_timesteps + s.pipeline_depth;
  const uint32_t ddim_steps = static_cast<uint32_t>(ddim_times(s.diffusion_timesteps, fp.steps).size());
  std::vector<Breakdown> image_energy;
  for (uint32_t k = 0; k < fp.images; ++k)
    image_energy.push_back(breakdown_of(counters_between(progress.image_marks[k], progress.image_marks[k + 1]), table));
  uint64_t total_synops = 0;
  for (const auto& c : run.counters.cores) total_synops += c.synops();
  {
    std::ofstream f(dir / "report.json");
    write_report(f, cfg, net, run, table, energy, [&](JsonWriter& j) {
      j.begin_object("fsddim");
      j.value("images", fp.images).value("ddim_steps", fp.steps).value("snn_timesteps", s.snn_timesteps);
      j.value("pipeline_depth", s.pipeline_depth).value("timesteps_per_ddim_step", per_step).value("seed", fp.seed);
      j.value("reference_checked", fp.check_reference).value("reference_match", reference_match);
      j.value("weight_bits", fp.weight_bits);
      if (!psnr.empty() || !float_psnr.empty()) {   // PSNR of identical images is infinite: JSON has none, so it is left out
        j.begin_object("quality");
        if (!psnr.empty()) {
          j.value("metric", "psnr_db against the exported model's images (same S and seed)");
          write_psnr(j, psnr, "identical_images", "psnr_db");
        }
        if (!float_psnr.empty()) {
          j.value("float_checkpoint", std::filesystem::absolute(float_checkpoint).lexically_normal().string());
          j.value("float_metric", "psnr_db_vs_float: against the float model's images (same x_T, S and T; float_images.h5)");
          write_psnr(j, float_psnr, "identical_to_float", "psnr_db_vs_float");
          if (std::all_of(float_psnr.begin(), float_psnr.end(), [](double v) { return std::isfinite(v); }))
            j.array("psnr_db_vs_float_per_image", float_psnr);
        }
        j.end_object();
      }
      j.begin_object("placement").value("mode", compiled.report.placement);
      j.value("mesh_order_flit_hops_per_timestep", compiled.report.mesh_order.flit_hops);
      j.value("placed_flit_hops_per_timestep", compiled.report.optimised.flit_hops).end_object();
      double lat = 0, en = 0, dyn = 0, st = 0;
      for (uint32_t k = 0; k < fp.images; ++k) {
        const uint64_t c = progress.image_marks[k + 1].cycles - progress.image_marks[k].cycles;
        lat += c / (mhz * 1e6);
        en += image_energy[k].total;
        dyn += image_energy[k].dynamic;
        st += image_energy[k].static_j;
      }
      const double n = fp.images ? fp.images : 1;
      j.begin_object("per_image_mean").value("latency_s", lat / n);
      j.begin_object("energy_j").value("total", en / n).value("dynamic", dyn / n).value("static", st / n).end_object();
      j.end_object();
      // Firing rate per population: spikes per neuron per timestep over the whole run.
      j.begin_object("firing_rate");
      for (uint32_t p = 0; p < net.populations.size(); ++p)
        j.value(net.populations[p].name, double(rec.population_spikes()[p]) / (double(net.populations[p].size()) * steps.size()));
      j.end_object();
      j.begin_array("per_image");
      for (uint32_t k = 0; k < fp.images; ++k) {
        const uint64_t c = progress.image_marks[k + 1].cycles - progress.image_marks[k].cycles;
        j.begin_object().value("image", k).value("cycles", c).value("latency_s", c / (mhz * 1e6));
        write_breakdown(j, image_energy[k]);
        write_management(j, counters_between(progress.image_marks[k], progress.image_marks[k + 1]).management);
        j.begin_array("ddim_steps");
        const auto pairs = ddim_times(s.diffusion_timesteps, fp.steps);
        for (uint32_t d = 0; d < ddim_steps; ++d) {
          const uint32_t idx = k * ddim_steps + d;
          const ChipCounters& before = d == 0 ? progress.image_marks[k] : progress.step_marks[idx - 1];
          const ChipCounters iv = counters_between(before, progress.step_marks[idx]);
          uint64_t sp = 0, sy = 0;
          for (const auto& cc : iv.cores) sp += cc.spikes, sy += synops(cc);
          j.begin_object().value("t", int64_t{pairs[d].first}).value("t_prev", int64_t{pairs[d].second});
          j.value("cycles", iv.cycles).value("latency_s", iv.cycles / (mhz * 1e6)).value("spikes", sp).value("synaptic_events", sy);
          write_breakdown(j, breakdown_of(iv, table));
          write_management(j, iv.management);
          j.end_object();
        }
        j.end_array();
        // Per timestep: cycles and chip-wide events. A timestep's interval runs from the end of the previous
        // one's read phase through its own: the management core's write phase (with the compute of a DDIM
        // update, in the first timestep after it), the barrier, the timestep, its read phase.
        j.begin_object("timesteps");
        std::vector<uint64_t> cyc, spk, syn, hops, msgs, busy;
        for (uint32_t t = k * ddim_steps * per_step; t < (k + 1) * ddim_steps * per_step && t < steps.size(); ++t) {
          const ChipTotals& a = steps[t];
          const ChipTotals b = t ? steps[t - 1] : ChipTotals{};
          cyc.push_back(a.cycle - b.cycle);
          spk.push_back(a.core.spikes - b.core.spikes);
          syn.push_back(synops(a.core) - synops(b.core));
          hops.push_back(a.router.hops() - b.router.hops());
          msgs.push_back(a.management.messages_out + a.management.messages_in - b.management.messages_out - b.management.messages_in);
          busy.push_back(a.management.busy_cycles - b.management.busy_cycles);
        }
        j.array("cycles", cyc).array("spikes", spk).array("synaptic_events", syn).array("flit_hops", hops);
        j.array("management_messages", msgs).array("management_busy_cycles", busy);
        j.end_object();
        j.end_object();
      }
      j.end_array();
      j.array("unpriced", table.management_cycle_pj ? std::vector<std::string>{} : std::vector<std::string>{"management_core"});
      write_management(j, chip.totals().management);
      j.end_object();
    });
    if (!f) throw Error((dir / "report.json").string() + ": cannot write");
  }

  // Host speed goes to its own file: report.json stays the same bytes for the same config and seed.
  {
    std::ofstream f(dir / "host.json");
    JsonWriter j(f);
    j.begin_object().value("note", "measured on the machine that ran it; not deterministic");
    j.value("host_seconds", host_s).value("host_reference_seconds", reference_s);
    j.value("images_per_hour", fp.images / host_s * 3600.0).value("synaptic_events_per_s", total_synops / host_s);
    j.end_object();
    if (!f) throw Error((dir / "host.json").string() + ": cannot write");
  }

  // Summary table.
  std::printf("\n%-6s %12s %14s %14s %14s\n", "image", "cycles", "latency (s)", "energy (J)", "synaptic ops");
  for (uint32_t k = 0; k < fp.images; ++k) {
    const uint64_t c = progress.image_marks[k + 1].cycles - progress.image_marks[k].cycles;
    uint64_t sy = 0;
    for (const auto& cc : counters_between(progress.image_marks[k], progress.image_marks[k + 1]).cores) sy += cc.synops();
    std::printf("%-6u %12llu %14.6g %14.6g %14llu\n", k, static_cast<unsigned long long>(c), c / (mhz * 1e6), image_energy[k].total,
                static_cast<unsigned long long>(sy));
  }
  std::printf("S = %u DDIM steps x (T = %u + D = %u) timesteps per image; %u cores used; energy table %s\n", fp.steps,
              s.snn_timesteps, s.pipeline_depth, run.program.cores_used, table.name.c_str());
  auto print_psnr = [&](const char* what, const std::vector<double>& v) {
    if (v.empty()) return;
    std::printf("PSNR against %s:", what);
    for (double x : v) std::printf(std::isfinite(x) ? " %.2f" : " identical", x);
    std::printf(" dB\n");
  };
  print_psnr("the exported model's images", psnr);
  print_psnr("the float model's images", float_psnr);
  std::printf("host: %.1f s, %.1f images/hour, %.3g synaptic events/s%s\n", host_s, fp.images / host_s * 3600.0, total_synops / host_s,
              fp.check_reference ? (reference_match ? "; images identical to the reference sampler's" : "") : "");
  std::printf("wrote %s, %s, %s, %s\n", (dir / "samples.png").c_str(), (dir / "samples.h5").c_str(), (dir / "report.json").c_str(),
              (dir / "host.json").c_str());
  if (!reference_match) {
    std::fprintf(stderr, "spikemesh run: error: the chip's images differ from the reference sampler's (see report.json)\n");
    return 4;
  }
  return 0;
}

}  // namespace spikemesh
