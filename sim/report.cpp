// report.json writer; see report.h.
#include "report.h"

#include <algorithm>

#include "critical_path_report.h"
#include "json_writer.h"
#include "routing.h"

namespace spikemesh {

void write_management_counters(JsonWriter& j, const ManagementCounters& m) { write_counters(j, m); }

void write_energy(JsonWriter& j, const ChipCounters& c, const EnergyTable& table, const EnergyReport& e) {
  j.begin_object("energy_j");
  j.value("total", e.total_j).value("dynamic", e.dynamic_j).value("static", e.static_j);
  j.value("table", table.name).value("table_source", table.source);
  j.begin_object("breakdown");
  j.begin_object("core")
      .value("dynamic", e.core_dynamic_j)
      .value("static", e.core_static_j)
      .value("static_input_fifo", e.core_input_fifo_static_j)
      .value("total", e.core_dynamic_j + e.core_static_j);
  j.begin_object("events");
  for (const auto& ev : e.core_events) j.value(ev.first.substr(5), ev.second);
  j.end_object().end_object();
  j.begin_object("router")
      .value("dynamic", e.router_dynamic_j)
      .value("static", e.router_static_j)
      .value("total", e.router_dynamic_j + e.router_static_j);
  j.begin_object("events");
  for (const auto& ev : e.router_events) j.value(ev.first.substr(7), ev.second);
  j.end_object().end_object();
  if (c.hosted) {
    j.begin_object("management")
        .value("dynamic", e.management_j)
        .value("busy_cycles", c.management.busy_cycles)
        .end_object();
  }
  j.end_object();
  j.begin_object("per_core");
  for (size_t k = 0; k < c.cores.size(); ++k) j.value(c.core_names[k], e.per_core_j[k]);
  j.end_object();
  j.begin_object("per_router");
  for (size_t k = 0; k < c.routers.size(); ++k) j.value(c.router_names[k], e.per_router_j[k]);
  j.end_object();
  j.array("unpriced", e.unpriced);
  j.end_object();
}

void write_report(std::ostream& os, const RunConfig& cfg, const Network& net, const ChipRunOutput& run,
                  const EnergyTable& table, const EnergyReport& e, const std::function<void(JsonWriter&)>& extra,
                  const std::function<void(JsonWriter&)>& critical_extra) {
  const ChipCounters& c = run.counters;
  const ChipParams& p = cfg.chip;
  JsonWriter j(os);
  j.begin_object();
  j.value("format", "spikemesh-report").value("version", uint64_t{1});
  j.value("completed", run.completed);
  if (!run.completed) j.value("deadlock", run.deadlock);
  j.value("network", cfg.network_path());
  j.value("cycles", c.cycles).value("timesteps", uint64_t{c.step_cycles.size()});
  j.value("clock_mhz", p.clock_mhz).value("latency_s", c.seconds());
  write_energy(j, c, table, e);
  // Counters: chip totals, per timestep, per component.
  j.begin_object("counters");
  {
    const CoreCounters tc = c.core_total();
    const RouterCounters tr = c.router_total();
    j.begin_object("chip");
    j.value("synaptic_events", tc.synops()).value("spikes", tc.spikes).value("messages_sent", tc.messages_out);
    j.value("messages_received", tc.messages_in)
        .value("flits_injected", tr.injected)
        .value("flits_ejected", tr.ejected);
    j.value("flit_hops", tr.hops()).value("stall_cycles", tr.stall_cycles);
    j.value("peak_buffer_flits", tr.peak_buffer_flits);
    j.array("timestep_cycles", c.step_cycles);
    j.end_object();
  }
  for (size_t k = 0; k < c.cores.size(); ++k) {
    j.begin_object(c.core_names[k]);
    write_counters(j, c.cores[k]);
    j.end_object();
  }
  for (size_t k = 0; k < c.routers.size(); ++k) {
    j.begin_object(c.router_names[k]);
    write_counters(j, c.routers[k]);
    j.end_object();
  }
  if (c.hosted) {
    j.begin_object("chip.management");
    write_management_counters(j, c.management);
    j.end_object();
  }
  j.end_object();
  // Chip summary.
  const MeshGeometry& g = run.program.geometry;
  j.begin_object("chip");
  j.value("chips_x", g.chips_x)
      .value("chips_y", g.chips_y)
      .value("routers_x", g.routers_x)
      .value("routers_y", g.routers_y);
  j.value("cores_per_router", g.cores_per_router).value("mesh_width", g.width()).value("mesh_height", g.height());
  j.value("routers", g.routers()).value("cores", g.cores()).value("barrier_cycles", run.barrier_cycles);
  j.value("compartments_per_core", p.core.compartments).value("graded_spikes", p.core.graded_spikes);
  j.value("shared_conv_kernels", p.core.shared_conv_kernels).value("input_fifo_depth", p.core.input_fifo_depth);
  // What re-pricing needs of the static power (`spikemesh price`): whether unused cores were power-gated and
  // how many cores drew static power (with gating: those with compartments mapped, mapping.per_core).
  uint64_t powered = 0;
  for (size_t k = 0; k < c.cores.size(); ++k) powered += !(k < c.core_gated.size() && c.core_gated[k]);
  j.value("power_gating", p.power_gating).value("cores_powered", powered);
  j.end_object();
  // Mapping summary.
  j.begin_object("mapping");
  j.value("cores_used", run.program.cores_used).value("max_delay", run.program.max_delay);
  j.begin_object("populations");
  for (size_t q = 0; q < net.populations.size(); ++q) {
    j.begin_object(net.populations[q].name).value("neurons", net.populations[q].size());
    j.begin_array("cores");
    const auto& pls = run.program.placement[q];  // a banded population has one segment per channel on a core
    for (size_t k = 0; k < pls.size(); ++k)
      if (k == 0 || pls[k].core != pls[k - 1].core) j.value("", pls[k].core);
    j.end_array().end_object();
  }
  j.end_object();
  j.begin_array("per_core");
  for (uint32_t k = 0; k < run.program.cores.size(); ++k) {  // placement may leave gaps between used cores
    const CoreProgram& cp = run.program.cores[k];
    if (cp.compartments == 0) continue;
    j.begin_object().value("core", k).value("compartments", cp.compartments);
    j.value("input_axons", uint64_t{cp.input_axons.size()}).value("output_axons", cp.output_axons());
    j.value("synapse_words", uint64_t{cp.synapse_words.size()}).value("synapse_formats", uint64_t{cp.formats.size()});
    j.end_object();
  }
  j.end_array();
  j.end_object();
  if (extra) extra(j);
  j.begin_object("critical_path");
  j.value("rule", "docs/architecture.md#critical-path");
  write_critical_path_summary(j, c.step_attribution, c.core_names, c.core_populations, kTopBoundingCores);
  if (critical_extra) critical_extra(j);
  j.end_object();
  j.end_object();
}

}  // namespace spikemesh
