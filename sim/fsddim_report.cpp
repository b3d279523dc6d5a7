// report.json and host.json of the FSDDIM loop; see fsddim_report.h.
#include "fsddim_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "critical_path_report.h"
#include "error.h"
#include "json_writer.h"
#include "report.h"

namespace spikemesh {
namespace {

// The energy breakdown the FSDDIM report uses: synaptic ops, compartment updates, spike messages
// (output and input axon lookups), mesh hops, synaptic memory, management core, static.
struct Breakdown {
  double synops = 0, updates = 0, messages = 0, mesh = 0, memory = 0, management = 0, static_j = 0;
  double total = 0, dynamic = 0;
};

// The management core's busy cycles are priced by the table's management_cycle (no shipped table has one:
// no public figure; then its part is 0 J and the report lists it under fsddim.unpriced); its messages'
// hops are in mesh_hops, their handling by the cores in spike_messages (docs/architecture.md).
Breakdown breakdown_of(const ChipCounters& interval, const EnergyTable& table) {
  const EnergyReport e = price_energy(interval, table);
  Breakdown b;
  for (const auto& [name, j] : e.core_events) {
    if (name.rfind("core.synop", 0) == 0)
      b.synops += j;
    else if (name.rfind("core.update", 0) == 0)
      b.updates += j;
    else if (name == "core.word_read")
      b.memory += j;
    else
      b.messages += j;  // spike generation, message out / in
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
  j.value("mesh_hops", b.mesh).value("memory", b.memory).value("management_core", b.management);
  j.value("static", b.static_j);
  j.end_object().end_object();
}

// The mean PSNR over the images whose PSNR is finite, and how many were identical (infinite PSNR).
void write_psnr(JsonWriter& j, const std::vector<double>& psnr, const char* identical_key, const char* mean_key) {
  double sum = 0;
  uint64_t finite = 0;
  for (double v : psnr)
    if (std::isfinite(v)) sum += v, ++finite;
  j.value(identical_key, uint64_t{psnr.size() - finite});
  if (finite) j.value(mean_key, sum / static_cast<double>(finite));
}

// PSNR of identical images is infinite: JSON has none, so it is left out.
void write_quality(JsonWriter& j, const FsddimResults& r) {
  if (r.psnr.empty() && r.float_psnr.empty()) return;
  j.begin_object("quality");
  if (!r.psnr.empty()) {
    j.value("metric", "psnr_db against the exported model's images (same S and seed)");
    write_psnr(j, r.psnr, "identical_images", "psnr_db");
  }
  if (!r.float_psnr.empty()) {
    j.value("float_checkpoint", std::filesystem::absolute(r.float_checkpoint).lexically_normal().string());
    j.value("float_metric", "psnr_db_vs_float: against the float model's images (same x_T, S and T; float_images.h5)");
    write_psnr(j, r.float_psnr, "identical_to_float", "psnr_db_vs_float");
    if (std::all_of(r.float_psnr.begin(), r.float_psnr.end(), [](double v) { return std::isfinite(v); }))
      j.array("psnr_db_vs_float_per_image", r.float_psnr);
  }
  j.end_object();
}

// Image k's DDIM steps: each step's interval runs from the previous step's end (the image's start for the
// first) to its own end.
void write_ddim_steps(JsonWriter& j, const FsddimResults& r, const EnergyTable& table, double mhz, uint32_t k) {
  const uint32_t ddim_steps = static_cast<uint32_t>(r.plan.size());
  j.begin_array("ddim_steps");
  for (uint32_t d = 0; d < ddim_steps; ++d) {
    const uint32_t idx = k * ddim_steps + d;
    const ChipCounters& before = d == 0 ? r.image_marks[k] : r.step_marks[idx - 1];
    const ChipCounters iv = counters_between(before, r.step_marks[idx]);
    const CoreCounters total = iv.core_total();
    const uint64_t sp = total.spikes, sy = total.synops();
    j.begin_object().value("t", int64_t{r.plan[d].t}).value("t_prev", int64_t{r.plan[d].t_prev});
    j.value("cycles", iv.cycles).value("latency_s", iv.cycles / (mhz * 1e6));
    j.value("spikes", sp).value("synaptic_events", sy);
    write_breakdown(j, breakdown_of(iv, table));
    write_management(j, iv.management);
    j.end_object();
  }
  j.end_array();
}

// Image k's timesteps: cycles and chip-wide events. A timestep's interval runs from the end of the previous
// one's read phase through its own: the management core's write phase (with the compute of a DDIM update,
// in the first timestep after it), the barrier, the timestep, its read phase.
// Timesteps [first, end) of the run (sequential: image k's are k S (T + D) .. (k + 1) S (T + D) - 1).
void write_timesteps(JsonWriter& j, const FsddimResults& r, uint64_t first, uint64_t end) {
  const auto& steps = r.timesteps;
  j.begin_object("timesteps");
  std::vector<uint64_t> cyc, spk, syn, hops, msgs, busy;
  for (uint64_t t = first; t < end && t < steps.size(); ++t) {
    const ChipTotals& a = steps[t];
    const ChipTotals b = t ? steps[t - 1] : ChipTotals{};
    cyc.push_back(a.cycle - b.cycle);
    spk.push_back(a.core.spikes - b.core.spikes);
    syn.push_back(a.core.synops() - b.core.synops());
    hops.push_back(a.router.hops() - b.router.hops());
    msgs.push_back(a.management.messages_out + a.management.messages_in - b.management.messages_out -
                   b.management.messages_in);
    busy.push_back(a.management.busy_cycles - b.management.busy_cycles);
  }
  j.array("cycles", cyc).array("spikes", spk).array("synaptic_events", syn).array("flit_hops", hops);
  j.array("management_messages", msgs).array("management_busy_cycles", busy);
  j.end_object();
}

// The critical path per image and, within each, per DDIM step: the timesteps of each interval.
void write_fsddim_critical_path(JsonWriter& j, const RunConfig& cfg, const FsddimResults& r) {
  if (r.in_flight > 1) return;  // pipelined: the images' timesteps overlap; the run's summary above covers them
  const uint32_t ddim_steps = static_cast<uint32_t>(r.plan.size());
  const ChipCounters& all = r.run.counters;
  j.begin_array("per_image");
  for (uint32_t k = 0; k < cfg.run.fsddim.images; ++k) {
    j.begin_object().value("image", k);
    write_critical_path_summary(j, counters_between(r.image_marks[k], r.image_marks[k + 1]).step_attribution,
                                all.core_names, all.core_populations, kTopBoundingCores);
    j.begin_array("ddim_steps");
    for (uint32_t d = 0; d < ddim_steps; ++d) {
      const uint32_t idx = k * ddim_steps + d;
      const ChipCounters& before = d == 0 ? r.image_marks[k] : r.step_marks[idx - 1];
      j.begin_object().value("t", int64_t{r.plan[d].t}).value("t_prev", int64_t{r.plan[d].t_prev});
      write_critical_path_summary(j, counters_between(before, r.step_marks[idx]).step_attribution, all.core_names,
                                  all.core_populations, kTopBoundingCores);
      j.end_object();
    }
    j.end_array().end_object();
  }
  j.end_array();
}

void write_fsddim_section(JsonWriter& j, const RunConfig& cfg, const Network& net, const EnergyTable& table,
                          const FsddimResults& r) {
  const FsddimParams& fp = cfg.run.fsddim;
  const DdimSchedule& s = r.schedule;
  const double mhz = cfg.chip.clock_mhz;
  const uint32_t per_step = s.snn_timesteps + s.pipeline_depth;
  const bool pipelined = r.in_flight > 1;
  std::vector<Breakdown> image_energy;
  if (!pipelined)
    for (uint32_t k = 0; k < fp.images; ++k)
      image_energy.push_back(breakdown_of(counters_between(r.image_marks[k], r.image_marks[k + 1]), table));

  j.begin_object("fsddim");
  j.value("images", fp.images).value("ddim_steps", fp.steps).value("snn_timesteps", s.snn_timesteps);
  j.value("pipeline_depth", s.pipeline_depth).value("timesteps_per_ddim_step", per_step).value("seed", fp.seed);
  j.value("reference_checked", fp.check_reference).value("reference_match", r.reference_match);
  j.value("weight_bits", fp.weight_bits);
  write_quality(j, r);
  j.begin_object("placement").value("mode", r.compile.placement);
  j.value("mesh_order_flit_hops_per_timestep", r.compile.mesh_order.flit_hops);
  j.value("placed_flit_hops_per_timestep", r.compile.optimised.flit_hops);
  // The mapping objective and the estimated longest core time per timestep it weighs (model/core_work.h).
  j.value("objective", r.compile.objective).value("rates", r.compile.rates_source);
  j.value("cores_used", r.compile.cores_used);
  j.value("estimated_longest_core_cycles", r.compile.longest_cycles);
  j.value("fit_cores_used", r.compile.fit_cores_used);
  j.value("fit_estimated_longest_core_cycles", r.compile.fit_longest_cycles).end_object();
  // Energy per image: the run's energy over its images (sequential: the sum of each image's own interval,
  // the same thing). Pipelined images share their timesteps, so each gets an equal share of the run's
  // static and dynamic energy (its own dynamic part is not attributed).
  const double n = fp.images ? fp.images : 1;
  const Breakdown run_energy = breakdown_of(r.run.counters, table);
  Breakdown share;
  share.synops = run_energy.synops / n, share.updates = run_energy.updates / n;
  share.messages = run_energy.messages / n, share.mesh = run_energy.mesh / n, share.memory = run_energy.memory / n;
  share.management = run_energy.management / n, share.static_j = run_energy.static_j / n;
  share.total = run_energy.total / n, share.dynamic = run_energy.dynamic / n;
  double lat = 0, en = 0, dyn = 0, st = 0;
  for (uint32_t k = 0; k < fp.images; ++k) {
    lat += r.image_cycles[k] / (mhz * 1e6);
    const Breakdown& e = pipelined ? share : image_energy[k];
    en += e.total;
    dyn += e.dynamic;
    st += e.static_j;
  }
  j.begin_object("per_image_mean").value("latency_s", lat / n);
  j.begin_object("energy_j").value("total", en / n).value("dynamic", dyn / n).value("static", st / n).end_object();
  j.end_object();
  // Images in flight and the emulated throughput: images over the whole run's emulated seconds.
  j.begin_object("pipeline").value("images_in_flight", r.in_flight);
  if (pipelined) {
    j.value("period_timesteps", r.layout.period).value("max_images_in_flight", r.layout.max_in_flight);
    j.value("timesteps", uint64_t{r.timesteps.size()});
    j.value("energy_rule", "per image: the run's energy (static and dynamic) divided by the images");
  }
  j.end_object();
  j.value("throughput_images_per_s", r.run.counters.cycles ? fp.images / (r.run.counters.cycles / (mhz * 1e6)) : 0.0);
  // Firing rate per population: spikes per neuron per timestep over the whole run.
  j.begin_object("firing_rate");
  for (uint32_t p = 0; p < net.populations.size(); ++p)
    j.value(net.populations[p].name,
            double(r.population_spikes[p]) / (double(net.populations[p].size()) * r.timesteps.size()));
  j.end_object();
  j.begin_array("per_image");
  for (uint32_t k = 0; k < fp.images && pipelined; ++k) {
    const uint64_t c = r.image_cycles[k];
    j.begin_object().value("image", k).value("cycles", c).value("latency_s", c / (mhz * 1e6));
    j.value("first_timestep", r.spans[k].first_timestep).value("last_timestep", r.spans[k].last_timestep);
    write_breakdown(j, share);
    j.end_object();
  }
  for (uint32_t k = 0; k < fp.images && !pipelined; ++k) {
    const uint64_t c = r.image_marks[k + 1].cycles - r.image_marks[k].cycles;
    j.begin_object().value("image", k).value("cycles", c).value("latency_s", c / (mhz * 1e6));
    write_breakdown(j, image_energy[k]);
    write_management(j, counters_between(r.image_marks[k], r.image_marks[k + 1]).management);
    write_ddim_steps(j, r, table, mhz, k);
    const uint64_t per_image = uint64_t{s.snn_timesteps + s.pipeline_depth} * r.plan.size();
    write_timesteps(j, r, k * per_image, (k + 1) * per_image);
    j.end_object();
  }
  j.end_array();
  if (pipelined) write_timesteps(j, r, 0, r.timesteps.size());
  const bool management_priced = table.management_cycle_pj.has_value();
  j.array("unpriced", management_priced ? std::vector<std::string>{} : std::vector<std::string>{"management_core"});
  write_management(j, r.management);
  j.end_object();
}

}  // namespace

void write_fsddim_report(const std::filesystem::path& path, const RunConfig& cfg, const Network& net,
                         const EnergyTable& table, const FsddimResults& r) {
  const EnergyReport energy = price_energy(r.run.counters, table);
  write_stream_atomically(path, [&](std::ostream& f) {
    write_report(
        f, cfg, net, r.run, table, energy, [&](JsonWriter& j) { write_fsddim_section(j, cfg, net, table, r); },
        [&](JsonWriter& j) { write_fsddim_critical_path(j, cfg, r); });
  });
}

void write_fsddim_host(const std::filesystem::path& path, const RunConfig& cfg, const FsddimResults& r) {
  const uint32_t images = cfg.run.fsddim.images;
  write_stream_atomically(path, [&](std::ostream& f) {
    JsonWriter j(f);
    j.begin_object().value("note", "measured on the machine that ran it; not deterministic");
    j.value("host_seconds", r.host_s).value("host_reference_seconds", r.reference_s);
    j.value("host_compile_seconds", r.compile_s);
    j.value("images_per_hour", images / r.host_s * 3600.0).value("synaptic_events_per_s", r.synaptic_events / r.host_s);
    j.end_object();
  });
}

}  // namespace spikemesh
