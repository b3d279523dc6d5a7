// Greedy partition in file order (or interleaved by work window), row bands for conv targets; see partition.h.
#include "partition.h"

#include <algorithm>
#include <sstream>

namespace spikemesh {

Partitioner::Partitioner(const MappingIndex& index, const ChipParams& chip)
    : index_(index), geo_(MeshGeometry::from(chip.mesh)), accounting_(index, chip) {}

bool Partitioner::is_banded(uint32_t P) const {
  const auto& shape = index_.net.populations[P].shape;
  if (shape.size() != 3 || shape[1] < 2) return false;
  for (uint32_t j : index_.incoming[P])
    if (index_.net.projections[j].encoding == Encoding::Conv) return true;
  return false;
}

void Partitioner::band_unit(uint32_t P, uint32_t c0, uint32_t c1, uint64_t pixel, std::vector<uint64_t>& ids) const {
  const uint64_t hw = index_.pixels_of(P);
  ids.clear();
  for (uint32_t c = c0; c < c1; ++c) ids.push_back(c * hw + pixel);
}

uint32_t Partitioner::channel_block(uint32_t P) {
  const auto& shape = index_.net.populations[P].shape;
  std::vector<uint64_t> ids;
  auto fits = [&](uint32_t k) {  // an inner pixel: the most input axons
    band_unit(P, 0, k, uint64_t{shape[1] / 2} * shape[2] + shape[2] / 2, ids);
    return accounting_.fits_empty(P, ids.data(), ids.size());
  };
  if (!fits(1)) return 0;
  uint32_t lo = 1, hi = shape[0];  // fits(lo); the answer is in [lo, hi]
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  const uint32_t blocks = (shape[0] + lo - 1) / lo;
  return (shape[0] + blocks - 1) / blocks;
}

void Partitioner::new_core(uint32_t P, uint64_t i) {
  if (part_.cores.size() == geo_.cores() && part_.first_overflow < 0) {
    part_.first_overflow = static_cast<int64_t>(P);
    part_.first_overflow_neuron = i;
  }
  part_.cores.emplace_back();
  accounting_.next_core();
}

// Records neuron i of P on the core being filled: it extends that core's segment of its channel (banded
// populations) or of its population; the fill order keeps each one contiguous.
void Partitioner::record(uint32_t P, uint64_t i) {
  PartitionCore& core = part_.cores.back();
  const uint32_t key = part_.tile_channels[P] ? static_cast<uint32_t>(i / index_.pixels_of(P)) : 0;
  if (open_core_ != part_.cores.size() || open_population_ != P) {
    open_core_ = part_.cores.size();
    open_population_ = P;
    open_segment_.assign(part_.tile_channels[P] ? index_.net.populations[P].shape[0] : 1, -1);
  }
  int32_t& k = open_segment_[key];
  if (k < 0) {
    k = static_cast<int32_t>(core.segments.size());
    CoreSegment s;
    s.population = P;
    s.first = i;
    core.segments.push_back(s);
  }
  ++core.segments[static_cast<size_t>(k)].count;
  ++core.compartments;
}

// Adds a unit to the core being filled, or to a new core; a unit that does not fit an empty core is
// added neuron by neuron (a single neuron that does not fit is the error).
void Partitioner::add_unit(uint32_t P, const uint64_t* ids, size_t n) {
  if (!accounting_.try_add(P, ids, n)) {
    if (accounting_.tally().compartments > 0) {
      new_core(P, ids[0]);
      if (accounting_.try_add(P, ids, n)) {
        for (size_t k = 0; k < n; ++k) record(P, ids[k]);
        return;
      }
    }
    if (n == 1) accounting_.fail_single(P, ids[0]);
    for (size_t k = 0; k < n; ++k) add_unit(P, ids + k, 1);
    return;
  }
  for (size_t k = 0; k < n; ++k) record(P, ids[k]);
}

bool Partitioner::unit_at(const UnitCursor& c, std::vector<uint64_t>& ids) const {
  const Population& pop = index_.net.populations[c.P];
  if (const uint32_t K = part_.tile_channels[c.P]) {
    const uint32_t C = pop.shape[0];
    if (c.c0 >= C) return false;
    band_unit(c.P, c.c0, std::min(c.c0 + K, C), c.pos, ids);
    return true;
  }
  if (c.pos >= pop.size()) return false;
  ids.assign(1, c.pos);
  return true;
}

void Partitioner::advance(UnitCursor& c) const {
  ++c.pos;
  if (const uint32_t K = part_.tile_channels[c.P]; K && c.pos == index_.pixels_of(c.P)) {
    c.pos = 0;
    c.c0 += K;
  }
}

void Partitioner::fill_in_file_order() {
  std::vector<uint64_t> ids;
  for (uint32_t P = 0; P < index_.net.populations.size(); ++P)
    for (UnitCursor c{P}; unit_at(c, ids); advance(c)) add_unit(P, ids.data(), ids.size());
}

// The interleave objective: a population works only in its window, so a core can hold populations whose
// windows lie apart at no cost to its busiest timestep. Populations go into lanes by window block
// (window_start / window_length: windows two blocks apart never overlap); each core takes, lane by lane
// (even blocks, then odd), the lane's next units in file order while they fit, and closes when a pass over
// the lanes is done. Each population's units keep their order, so its cuts are the file-order fill's shape.
void Partitioner::fill_interleaved() {
  const Network& net = index_.net;
  std::vector<std::vector<uint32_t>> blocks;
  for (uint32_t P = 0; P < net.populations.size(); ++P) {
    const uint32_t b = work_->window_start[P] / work_->window_length;
    if (blocks.size() <= b) blocks.resize(b + 1);
    blocks[b].push_back(P);
  }
  struct Lane {
    std::vector<uint32_t> pops;
    size_t k = 0;
    UnitCursor cursor;
  };
  std::vector<Lane> lanes;
  for (size_t parity = 0; parity < 2; ++parity)
    for (size_t b = parity; b < blocks.size(); b += 2)
      if (!blocks[b].empty()) lanes.push_back({blocks[b], 0, UnitCursor{blocks[b][0]}});
  std::vector<uint64_t> ids;
  // The lane's next unit (false: the lane is done).
  const auto next = [&](Lane& l) {
    while (l.k < l.pops.size() && !unit_at(l.cursor, ids))
      if (++l.k < l.pops.size()) l.cursor = UnitCursor{l.pops[l.k]};
    return l.k < l.pops.size();
  };
  for (;;) {
    bool took = false;
    int64_t waiting = -1;  // the first lane whose next unit did not fit the open core
    for (size_t li = 0; li < lanes.size(); ++li) {
      Lane& l = lanes[li];
      while (next(l)) {
        if (!accounting_.try_add(l.cursor.P, ids.data(), ids.size())) {
          if (waiting < 0) waiting = static_cast<int64_t>(li);
          break;
        }
        for (uint64_t id : ids) record(l.cursor.P, id);
        advance(l.cursor);
        took = true;
      }
    }
    if (waiting < 0) return;  // every lane is done
    Lane& w = lanes[static_cast<size_t>(waiting)];
    next(w);
    if (took) {
      new_core(w.cursor.P, ids[0]);
    } else {  // not even on an empty core: cut it neuron by neuron (add_unit; a single neuron is the error)
      add_unit(w.cursor.P, ids.data(), ids.size());
      advance(w.cursor);
    }
  }
}

Partition Partitioner::run(const std::vector<uint32_t>& out_estimate, const std::vector<uint32_t>* out_messages) {
  const Network& net = index_.net;
  accounting_.begin(out_estimate, out_messages);
  part_ = Partition{};
  open_core_ = 0;
  part_.cores.emplace_back();
  part_.tile_channels.assign(net.populations.size(), 0);
  for (uint32_t P = 0; P < net.populations.size(); ++P)
    if (is_banded(P)) part_.tile_channels[P] = channel_block(P);
  if (work_ && work_->windowed())
    fill_interleaved();
  else
    fill_in_file_order();
  // Compartments: a core's segments in population, then neuron order (a population's segments adjacent,
  // so a dense list over them stays one run of consecutive compartments).
  for (PartitionCore& core : part_.cores) {
    std::sort(core.segments.begin(), core.segments.end(), [](const CoreSegment& a, const CoreSegment& b) {
      return a.population != b.population ? a.population < b.population : a.first < b.first;
    });
    uint32_t base = 0;
    for (CoreSegment& s : core.segments) {
      s.base = base;
      base += s.count;
    }
  }
  return std::move(part_);
}

void check_core_count(const Partition& part, const Network& net, const MeshGeometry& geo) {
  if (part.cores.size() > geo.cores()) {
    std::ostringstream os;
    os << "resource cores: the network needs " << part.cores.size() << " cores, the chip has " << geo.cores() << " ("
       << geo.chips_x << "x" << geo.chips_y << " chips of " << geo.routers_x << "x" << geo.routers_y << " routers, "
       << geo.cores_per_router << " cores each: chip.mesh); population '" << net.populations[part.first_overflow].name
       << "' from neuron " << part.first_overflow_neuron << " is the first that does not fit";
    fail_mapping(os.str(), net.populations[part.first_overflow].name, "cores", part.cores.size(), geo.cores());
  }
}

}  // namespace spikemesh
