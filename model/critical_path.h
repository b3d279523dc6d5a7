// Critical-path attribution of one timestep: what ended it, and its cycles split into the phases of the
// chain of events that ended it, so that the parts add up to the timestep's cycles exactly. The arithmetic
// is here, kernel-free (attribute_compute, check_attribution); hw/chip.cpp only gathers the bounding core's
// recorded events and calls it.
// The rule (docs/architecture.md#critical-path): the timestep's compute ends at the cycle the last core
// finishes (the chip's quiet cycle); that core is the bounding core and the unit that finished last its
// bounding unit (the dendrite unit wins a tie, then the output stage). Walking back from there:
//   dendrite      the bounding core's dendrite busy period that ends at the quiet cycle (back to the
//                 arrival of the message that found the unit idle: the critical message);
//   mesh          that message's zero-load on-chip latency (inject + on-chip links + eject);
//   chip_link     its zero-load latency on chip-to-chip links;
//   output_queue  its wait in the source core's output queue after the inject latency: the router had not
//                 yet taken the core's previous message (held up by that message's path, head-of-line);
//   router_stall  the rest of its time between leaving the source's output stage and arriving: lost
//                 arbitration and back-pressure on its own path (a full input FIFO downstream included);
//   output        the source core's output-stage busy period up to that message's emission;
//   sweep         from the timestep's start to the spike that started that busy period (the source's
//                 compartment sweep); a sweep-bound timestep is all sweep.
// With chip.management.overlap_writes the critical message may be a management write sent while the
// timestep computes: then mesh, chip_link, output_queue and router_stall are that message's as above,
// and management_write is the management core's sending from the timestep's start to its emission.
// Input FIFO wait is not a phase of its own: the critical message found the dendrite unit idle by
// construction, so the messages queued behind busy units are counted as the busy unit's cycles.
// Around the compute: the barrier (barrier_latency_cycles) and, in hosted mode, the management core's
// phases: management_compute (the DDIM update), management_write (writes, bias writes and resets until
// every core has served them) before the barrier, and management_read (read requests and responses) after.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "chip_params.h"
#include "routing.h"

namespace spikemesh {

enum class BoundingUnit : uint8_t { Sweep, Output, Dendrite };
inline const char* to_string(BoundingUnit u) {
  return u == BoundingUnit::Sweep ? "sweep" : u == BoundingUnit::Output ? "output" : "dendrite";
}

struct StepAttribution {
  static constexpr uint32_t kNoCore = std::numeric_limits<uint32_t>::max();
  // Cycles per phase, in the order they happen in a hosted timestep.
  uint64_t management_compute = 0, management_write = 0, barrier = 0, sweep = 0, output = 0, output_queue = 0, mesh = 0,
           chip_link = 0, router_stall = 0, dendrite = 0, management_read = 0;
  uint32_t bounding_core = kNoCore;  // the core that finished the compute last
  BoundingUnit unit = BoundingUnit::Sweep;
  uint32_t source_core = kNoCore;  // the core whose sweep and output stage began the chain

  // f(key, member pointer) for each phase, in the order above: report.json, trace.h5 and tests read it.
  template <class F>
  static void phases(F&& f) {
    f("management_compute", &StepAttribution::management_compute);
    f("management_write", &StepAttribution::management_write);
    f("barrier", &StepAttribution::barrier);
    f("sweep", &StepAttribution::sweep);
    f("output", &StepAttribution::output);
    f("output_queue", &StepAttribution::output_queue);
    f("mesh", &StepAttribution::mesh);
    f("chip_link", &StepAttribution::chip_link);
    f("router_stall", &StepAttribution::router_stall);
    f("dendrite", &StepAttribution::dendrite);
    f("management_read", &StepAttribution::management_read);
  }
  uint64_t total() const {
    uint64_t t = 0;
    phases([&](const char*, uint64_t StepAttribution::*m) { t += this->*m; });
    return t;
  }
};

// A dendrite unit's current busy period (hw/neurocore.h records it): it began when `src_core`'s message,
// which left its output stage at `emitted` and waited `queued` cycles in its output queue, arrived at
// `since` and found the unit idle.
struct DendriteBusy {
  uint64_t since = 0, emitted = 0;  // cycles
  uint32_t src_core = 0;
  uint32_t queued = 0;  // cycles the message waited in its source's output queue (Flit::queued_cycles)
};

// What the chip recorded of one timestep's compute: its cycles [start, quiet), and every core's units.
struct ComputeEvents {
  uint32_t timestep = 0;  // for error messages
  uint64_t start = 0;     // the sweep's first cycle
  uint64_t quiet = 0;     // the cycle the last core finished (the chip's quiet cycle)
  uint64_t barrier = 0;   // barrier_latency_cycles
  // Per core, the cycle it finished everything it was given (max of sweep, output stage, dendrite unit).
  std::vector<uint64_t> done;
  // The bounding core's units (the first core whose done equals quiet): when each is free, and the
  // dendrite unit's current busy period.
  uint64_t dendrite_free = 0, output_free = 0;
  DendriteBusy dendrite_busy;
  // Hosted mode: the management core's source id in flits (one past the last core; kNoCore: none) and
  // its local port, for a critical message it sent (overlap_writes).
  uint32_t management_id = StepAttribution::kNoCore;
  MeshGeometry::CorePlace management_place{0, 0, 0};
};

// The first core whose done cycle is the quiet cycle (the bounding core); throws Error when none is.
uint32_t bounding_core(const ComputeEvents& e);

// The start of a core's output-stage busy period (in this timestep) that holds the service ending at `cycle`.
using OutputBusySince = std::function<uint64_t(uint32_t core, uint64_t cycle)>;

// The compute part of a timestep's attribution (barrier, sweep, output, output_queue, mesh, chip_link,
// router_stall, dendrite; management_write when a management write is the critical message, the other
// management phases stay 0) walked back from the bounding core, whose units
// are e.dendrite_free, e.output_free and e.dendrite_busy. `g` and `r` give the critical message's zero-load
// and chip-link latencies (model/routing.h). Throws Error when the walk cannot explain a cycle: a dendrite
// busy period that began before the timestep or with no source core, a message faster than zero load.
StepAttribution attribute_compute(const ComputeEvents& e, const MeshGeometry& g, const RouterParams& r,
                                  const OutputBusySince& output_busy_since);

// Throws Error naming the timestep when the phases of `a` do not add up to `cycles`.
void check_attribution(const StepAttribution& a, uint32_t timestep, uint64_t cycles);

}  // namespace spikemesh
