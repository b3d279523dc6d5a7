// Neurocore timing as pure functions: what one compartment update, one input message and one output
// message cost, and when a FIFO-ordered server starts and finishes a job. The SystemC neurocore
// (hw/neurocore.*) applies them in order; tests pin them by hand-computed cycles.
#pragma once

#include <algorithm>
#include <cstdint>

#include "chip_params.h"
#include "neuron.h"

namespace spikemesh {

// A compartment update is inactive when it cannot change anything: state at rest, no input, no bias.
// Then update_compartment leaves the state at zero and does not fire (v = 0 is never > vth >= 0), and the
// hardware skips the arithmetic (Davies 2018 Table 2 prices inactive updates separately).
constexpr bool is_inactive_update(const CompartmentState& s, int64_t q, int64_t bias) {
  return s.u == 0 && s.v == 0 && s.refract == 0 && q == 0 && bias == 0;
}

// SANA-FE's rule (CoreParams::updated_by_potential): a neuron is updated when its potential, bias or input
// is non-zero; the current u and the refractory count do not count. Only the accounting changes: the
// update itself is computed either way.
constexpr bool is_inactive_update(const CompartmentState& s, int64_t q, int64_t bias, bool by_potential) {
  return by_potential ? s.v == 0 && q == 0 && bias == 0 : is_inactive_update(s, q, bias);
}

constexpr uint32_t update_cycles(const CoreParams& c, bool inactive) {
  return inactive ? c.update_inactive_cycles : c.update_active_cycles;
}

// Cycles the dendrite unit spends on one input message: input-axon lookup, then one synaptic op per
// synapse of the list (weights read and accumulated into the delay slots).
constexpr uint64_t message_service_cycles(const CoreParams& c, uint64_t synops) {
  return c.axon_in_cycles + synops * c.synop_cycles;
}

// A FIFO-ordered server (the dendrite unit, the output stage): a job that is ready at `ready` starts when
// the server is free and runs `cycles`.
struct ServiceSlot {
  uint64_t start = 0, finish = 0;
};
constexpr ServiceSlot serve(uint64_t ready, uint64_t server_free, uint64_t cycles) {
  const uint64_t start = std::max(ready, server_free);
  return {start, start + cycles};
}

}  // namespace spikemesh
