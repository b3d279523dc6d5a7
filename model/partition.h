// Partitioning: which neurons go on which core. A greedy fill in file order, one unit at a time (a neuron,
// or one pixel of a block of channels of a conv target's row band), each core taking units until the next
// does not fit (core_accounting.h); with work windows, the same units interleaved across populations whose
// windows lie apart; then each core's segments and their compartments.
#pragma once

#include <cstdint>
#include <vector>

#include "chip_params.h"
#include "core_accounting.h"
#include "mapping.h"
#include "mapping_index.h"
#include "routing.h"

namespace spikemesh {

// The neurons of one core: per population (per channel for a banded one) a contiguous run, its compartments
// in population, then neuron order.
struct PartitionCore {
  std::vector<CoreSegment> segments;
  uint32_t compartments = 0;
};

struct Partition {
  std::vector<PartitionCore> cores;     // logical cores, in fill order (any number: the mesh is checked later)
  std::vector<uint32_t> tile_channels;  // per population: channels per row band (0: contiguous ranges)
  int64_t first_overflow = -1;          // the population of the first unit past the mesh's cores (-1: none)
  uint64_t first_overflow_neuron = 0;   // and its first neuron
};

// A (C, H, W) population that is the target of a conv projection is tiled spatially: the unit of the greedy
// fill is one pixel of a block of K channels, taken in raster order, so a core holds a run of pixels
// [p0, p1) (whole rows, or a row band that starts or ends mid-row) of each channel of the block, one segment
// per channel. K is all channels when one pixel of them fits on an empty core, else the most that fit,
// balanced over the blocks. 0: not even one channel of a pixel fits, the population is filled neuron by
// neuron in C order like any other (and fails naming the neuron).
class Partitioner {
 public:
  Partitioner(const MappingIndex& index, const ChipParams& chip);
  // One greedy fill with neuron g charged out_estimate[g] output axons and (the balance objective's work)
  // out_messages[g] messages per spike (nullptr: out_estimate). The accounting's stamps live on across
  // calls, so a partitioner serves every round of one mapping.
  Partition run(const std::vector<uint32_t>& out_estimate, const std::vector<uint32_t>* out_messages = nullptr);
  // The balance objective's cap on each core's estimated cycles per timestep (CoreAccounting::set_work_cap);
  // nullptr: none (the fit objective).
  // With work windows (WorkRates::windowed, the interleave objective) the fill interleaves populations whose
  // windows lie apart (fill_interleaved).
  void set_work_cap(const WorkRates* work, double max_core_cycles) {
    work_ = work;
    accounting_.set_work_cap(work, max_core_cycles);
  }

 private:
  // A population's units in fill order: channel block c0 and pixel `pos` of a banded population, or neuron
  // `pos` of any other.
  struct UnitCursor {
    uint32_t P = 0;
    uint32_t c0 = 0;
    uint64_t pos = 0;
  };
  bool unit_at(const UnitCursor& c, std::vector<uint64_t>& ids) const;  // false: P has no units left
  void advance(UnitCursor& c) const;
  void fill_in_file_order();
  void fill_interleaved();
  bool is_banded(uint32_t P) const;
  void band_unit(uint32_t P, uint32_t c0, uint32_t c1, uint64_t pixel, std::vector<uint64_t>& ids) const;
  uint32_t channel_block(uint32_t P);
  void new_core(uint32_t P, uint64_t i);
  void record(uint32_t P, uint64_t i);
  void add_unit(uint32_t P, const uint64_t* ids, size_t n);

  const MappingIndex& index_;
  const WorkRates* work_ = nullptr;
  MeshGeometry geo_;
  CoreAccounting accounting_;
  Partition part_;                // the partition being built
  size_t open_core_ = 0;          // record(): the core and population whose open segments
  uint32_t open_population_ = 0;  // open_segment_ indexes (per channel, or one)
  std::vector<int32_t> open_segment_;
};

// After the last round: the core count against the mesh (rounds run on an unbounded mesh, so the need
// reported is the final one). Throws a MappingError with resource "cores".
void check_core_count(const Partition& part, const Network& net, const MeshGeometry& geo);

}  // namespace spikemesh
