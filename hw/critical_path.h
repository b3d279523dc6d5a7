// Critical-path attribution of one timestep: what ended it, and its cycles split into the phases of the
// chain of events that ended it, so that the parts add up to the timestep's cycles exactly.
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
// Input FIFO wait is not a phase of its own: the critical message found the dendrite unit idle by
// construction, so the messages queued behind busy units are counted as the busy unit's cycles.
// Around the compute: the barrier (barrier_latency_cycles) and, in hosted mode, the management core's
// phases: management_compute (the DDIM update), management_write (writes, bias writes and resets until
// every core has served them) before the barrier, and management_read (read requests and responses) after.
#pragma once

#include <cstdint>
#include <limits>

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

}  // namespace spikemesh
