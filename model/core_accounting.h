// Resource accounting of the core being filled: what adding a neuron costs in compartments, input axons,
// synapse words and output axons, counted exactly and incrementally, with undo, and the per-core fit checks
// that name the resource a single neuron exceeds.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "chip_params.h"
#include "core_work.h"
#include "mapping_index.h"
#include "network.h"

namespace spikemesh {

// What the core being filled uses so far; with work rates (set_work_cap), its expected work per timestep too.
struct CoreTally {
  uint64_t compartments = 0, input_axons = 0, synapse_words = 0, output_axons = 0;
  double messages_in = 0.0, synops = 0.0, messages_out = 0.0;  // expected per timestep (core_work.h)
  WindowedWork windows;  // with work windows (the interleave objective): the same work per window start
};

// Charges neurons to one core at a time. A neuron costs one compartment, its routing entries (the estimate
// the caller gives), and on its incoming projections: the input axons of sources not yet on the core, and
// the synapse words its synapses add to the lists there (a list's words grow with its length, so the cost
// of a neuron depends on which neurons of its population are already on the core). Stamps keyed by a serial
// number per core make starting a core O(1); each change is logged so a unit that does not fit is undone.
class CoreAccounting {
 public:
  CoreAccounting(const MappingIndex& index, const ChipParams& chip);

  // A new partition: the first core is open and empty; neuron g (global) is charged out_estimate[g]
  // output axons, and with work rates out_messages[g] messages per spike (nullptr: out_estimate[g]); the
  // vectors must outlive the partition.
  void begin(const std::vector<uint32_t>& out_estimate, const std::vector<uint32_t>* out_messages = nullptr);
  // The core being filled is closed: an empty one opens.
  void next_core();
  // The balance objective: every neuron added is charged its expected work (`work`, which must outlive the
  // accounting), and a core that already holds a neuron takes a unit only while its estimated cycles per
  // timestep (core_work.h, price_core_work) stay within `max_core_cycles` (a unit alone on an empty core is
  // never refused for its work). nullptr: resources only (the fit objective). With work windows
  // (WorkRates::windowed) the cap is on the core's busiest timestep instead of the sum of its work.
  void set_work_cap(const WorkRates* work, double max_core_cycles);
  // The estimated cycles per timestep of the core being filled (0 without work rates).
  double tally_cycles() const;
  // Adds neurons ids[0, n) of population P to the open core; false (and nothing changed) if they do not all
  // fit. Use only grows with neurons added, so checking the limits once for the whole unit is exact.
  bool try_add(uint32_t P, const uint64_t* ids, size_t n);
  // Whether the unit would fit on an empty core (nothing changed).
  bool fits_empty(uint32_t P, const uint64_t* ids, size_t n);
  const CoreTally& tally() const { return use_; }
  // The unit of one neuron i of P did not fit an empty core (the last try_add): the error names the resource.
  [[noreturn]] void fail_single(uint32_t P, uint64_t i) const;

 private:
  // Per projection: what the open core already holds of it (stamps hold the serial of the core being filled).
  struct ProjectionFill {
    std::vector<uint32_t> seg_stamp, seg_cnt;    // SparseLike: per source neuron, its list length here
    uint32_t dense_stamp = 0, dense_n = 0;       // Dense: targets here
    std::vector<uint32_t> chan_stamp;            // SharedConv: per output channel
    std::vector<uint32_t> group_stamp, group_k;  // SharedConv: per group, channels held
    std::vector<uint32_t> pix_stamp;             // SharedConv: per source pixel
  };
  void set(uint32_t& slot, uint32_t value);
  void claim_axon(uint64_t global, uint32_t source);
  // Windowed: work in `population`'s window (a message and its synaptic ops are the source's).
  void charge_window(uint32_t population, double messages_in, double synops, double messages_out);
  void account(uint32_t P, uint64_t i);
  bool within_limits(bool was_empty) const;
  void undo(const CoreTally& before);

  const MappingIndex& index_;
  const ChipParams& chip_;
  std::vector<ProjectionFill> fill_;
  const std::vector<uint32_t>* out_estimate_ = nullptr;
  const std::vector<uint32_t>* out_messages_ = nullptr;
  const WorkRates* work_ = nullptr;
  double max_core_cycles_ = 0.0;
  std::vector<uint32_t> axon_stamp_;  // per global neuron: the serial of the core holding its axon
  uint32_t serial_ = 0;               // never reused: fill_ keeps stamps of earlier partitions
  CoreTally use_, failed_;
  std::vector<std::pair<uint32_t*, uint32_t>> log_;
};

// A network whose input population sends graded spikes fails on a chip whose cores send binary spikes only.
void check_graded_spikes(const Network& net, const ChipParams& chip);

}  // namespace spikemesh
