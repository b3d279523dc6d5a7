// Critical-path arithmetic of one timestep; see critical_path.h for the rule.
#include "critical_path.h"

#include <string>

#include "error.h"

namespace spikemesh {

uint32_t bounding_core(const ComputeEvents& e) {
  for (uint32_t c = 0; c < e.done.size(); ++c)
    if (e.done[c] == e.quiet) return c;
  throw Error("critical path: timestep " + std::to_string(e.timestep) + " went quiet at cycle " +
              std::to_string(e.quiet) + " but no core finished then");
}

StepAttribution attribute_compute(const ComputeEvents& e, const MeshGeometry& g, const RouterParams& r,
                                  const OutputBusySince& output_busy_since) {
  StepAttribution a;
  const uint64_t t0 = e.start, quiet = e.quiet;
  a.barrier = e.barrier;
  const uint32_t b = bounding_core(e);
  const std::string name = "core_" + std::to_string(b);
  a.bounding_core = a.source_core = b;
  if (quiet > t0 && e.dendrite_free == quiet) {
    const DendriteBusy& d = e.dendrite_busy;
    const bool from_management = d.src_core == e.management_id;
    if (d.since < t0 || d.emitted < t0 || (d.src_core >= e.done.size() && !from_management))
      throw Error("critical path: " + name + "'s dendrite busy period at cycle " + std::to_string(quiet) +
                  " did not start with a message of this timestep");
    a.unit = BoundingUnit::Dendrite;
    a.dendrite = quiet - d.since;
    const uint64_t zero_load = from_management ? zero_load_latency_cycles(g, r, e.management_place, b)
                                               : zero_load_latency_cycles(g, r, d.src_core, b);
    if (d.since < d.emitted + zero_load + d.queued)
      throw Error("critical path: a message arrived at " + name + " before its zero-load latency");
    a.chip_link = from_management ? chip_link_latency_cycles(g, r, e.management_place, b)
                                  : chip_link_latency_cycles(g, r, d.src_core, b);
    a.mesh = zero_load - a.chip_link;
    a.output_queue = d.queued;
    a.router_stall = d.since - d.emitted - zero_load - d.queued;
    a.source_core = d.src_core;
    if (from_management) {  // the management core sent writes, in order, from the timestep's start
      a.management_write = d.emitted - t0;
    } else {
      const uint64_t from = output_busy_since(d.src_core, d.emitted);
      a.output = d.emitted - from;
      a.sweep = from - t0;
    }
  } else if (quiet > t0 && e.output_free == quiet) {
    a.unit = BoundingUnit::Output;
    const uint64_t from = output_busy_since(b, quiet);
    a.output = quiet - from;
    a.sweep = from - t0;
  } else {
    a.unit = BoundingUnit::Sweep;
    a.sweep = quiet - t0;
  }
  return a;
}

void check_attribution(const StepAttribution& a, uint32_t timestep, uint64_t cycles) {
  if (a.total() != cycles)
    throw Error("critical path: timestep " + std::to_string(timestep) + " lasted " + std::to_string(cycles) +
                " cycles but its phases add up to " + std::to_string(a.total()));
}

}  // namespace spikemesh
