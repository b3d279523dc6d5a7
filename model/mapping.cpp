// Basic mapping: greedy partition in file order with exact incremental resource accounting, mesh-order
// placement, and per-core compilation of the tables; see mapping.h.
#include "mapping.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "conv_taps.h"
#include "error.h"

namespace spikemesh {
namespace {

enum class ProjKind : uint8_t { Dense, SparseLike, SharedConv };

// Reverse (by target) view of one projection's synapses, built once.
struct ProjectionView {
  ProjKind kind = ProjKind::Dense;
  SynapseFormat format;
  uint64_t ns = 0, nd = 0;
  uint64_t src_offset = 0;                    // global index of the source's neuron 0
  // SparseLike: CSR over targets of (source neuron, weight index)
  std::vector<uint64_t> rbegin;
  std::vector<uint32_t> rsrc;
  std::vector<uint64_t> rk;
  // SharedConv: CSR over output pixels of the source pixels that reach them (deduplicated)
  ConvChannels ch;
  std::vector<uint64_t> pbegin;
  std::vector<uint32_t> psrc;
  // incremental partition state (stamps hold the serial of the core being filled)
  std::vector<uint32_t> seg_stamp, seg_cnt;    // SparseLike: per source neuron
  uint32_t dense_stamp = 0, dense_n = 0;       // Dense
  std::vector<uint32_t> chan_stamp;            // SharedConv: per output channel
  std::vector<uint32_t> group_stamp, group_k;  // SharedConv: per group, channels held
  std::vector<uint32_t> pix_stamp;             // SharedConv: per source pixel
};

struct Usage {
  uint64_t compartments = 0, input_axons = 0, synapse_words = 0, output_axons = 0;
};

std::string core_key(const char* field) { return std::string("chip.core.") + field; }

[[noreturn]] void fail(const std::string& msg, const std::string& population, const std::string& resource, uint64_t need,
                       uint64_t capacity) {
  throw MappingError("mapping: " + msg, population, resource, need, capacity);
}

class Mapper {
 public:
  Mapper(const Network& net, const ChipParams& chip) : net_(net), chip_(chip), geo_(MeshGeometry::from(chip.mesh)) {}

  ChipProgram run() {
    rounds();
    return compile();
  }

  // The rounds and every check of map_network, without compiling the tables of the final partition
  // (compile() raises nothing they do not): the core count used.
  uint32_t check() {
    rounds();
    return static_cast<uint32_t>(cores_.size());
  }

 private:
  // Output axons depend on how the targets are cut, which the greedy pass decides later: partition, count
  // each core's routing entries, and while a core has too many output axons, partition again with each
  // neuron charged the routing entries it needed (estimates only grow, so this ends; targets' cuts do not
  // depend on their sources' cuts except where two populations share a core). A round counts the entries
  // compile() would make (count_outputs) instead of compiling: the tables are built once, for the last.
  void rounds() {
    check_graded();
    index_bits_ = std::max<uint8_t>(1, bits_for(chip_.core.compartments - 1));
    offset_.assign(net_.populations.size() + 1, 0);
    for (size_t p = 0; p < net_.populations.size(); ++p) offset_[p + 1] = offset_[p] + net_.populations[p].size();
    build_views();
    out_estimate_.assign(offset_.back(), 0);
    for (uint32_t round = 0;; ++round) {
      partition();
      count_outputs();
      if (over_core_ < 0) {
        check_core_count();
        return;
      }
      bool grew = false;
      for (uint64_t g = 0; g < out_need_.size(); ++g)
        if (out_need_[g] > out_estimate_[g]) {
          out_estimate_[g] = out_need_[g];
          grew = true;
        }
      if (!grew || round == 32) fail_output_axons(static_cast<uint32_t>(over_core_));
    }
  }

  // ---- checks ----
  void check_graded() const {
    if (chip_.core.graded_spikes) return;
    for (const auto& p : net_.populations)
      if (p.kind == NeuronKind::Input && p.payload_bits > 1)
        fail("population '" + p.name + "': resource graded spikes: needs " + std::to_string(p.payload_bits) +
             "-bit spike payloads, a core sends binary spikes only (" + core_key("graded_spikes") + " = false)",
             p.name, "graded spikes", p.payload_bits, 1);
  }

  // ---- projection views ----
  void build_views() {
    incoming_.assign(net_.populations.size(), {});
    views_.resize(net_.projections.size());
    for (uint32_t j = 0; j < net_.projections.size(); ++j) {
      const Projection& pr = net_.projections[j];
      incoming_[pr.target].push_back(j);
      ProjectionView& v = views_[j];
      v.ns = net_.populations[pr.source].size();
      v.nd = net_.populations[pr.target].size();
      v.src_offset = offset_[pr.source];
      uint32_t max_delay = 0;
      for (auto d : pr.delays) max_delay = std::max<uint32_t>(max_delay, d);
      max_delay_ = std::max(max_delay_, max_delay);
      v.format.weight = pr.format;
      v.format.weight_bits = stored_weight_bits(pr.format);
      v.format.delay_bits = bits_for(max_delay);
      v.format.index_bits = index_bits_;
      switch (pr.encoding) {
        case Encoding::Dense:
          v.kind = ProjKind::Dense;
          v.format.layout = BlockLayout::Dense;
          break;
        case Encoding::Sparse:
        case Encoding::OneToOne:
          v.kind = ProjKind::SparseLike;
          v.format.layout = BlockLayout::Sparse;
          build_reverse(pr, v);
          break;
        case Encoding::Conv:
          v.ch = ConvChannels::of(net_, pr);
          if (chip_.core.shared_conv_kernels) {
            v.kind = ProjKind::SharedConv;
            v.format.layout = BlockLayout::Dense;
            build_pixel_reverse(pr, v);
          } else {
            v.kind = ProjKind::SparseLike;
            v.format.layout = BlockLayout::Sparse;
            build_reverse(pr, v);
          }
          break;
      }
      if (v.kind == ProjKind::SparseLike) {
        v.seg_stamp.assign(v.ns, 0);
        v.seg_cnt.assign(v.ns, 0);
      }
    }
  }

  // Calls fn(source, target, weight index) for every synapse of a sparse, one-to-one or (expanded) conv projection.
  template <class Fn>
  void for_each_synapse(const Projection& pr, const ProjectionView& v, Fn&& fn) const {
    switch (pr.encoding) {
      case Encoding::Sparse:
        for (uint64_t k = 0; k < pr.pre.size(); ++k) fn(pr.pre[k], pr.post[k], k);
        break;
      case Encoding::OneToOne:
        for (uint64_t i = 0; i < v.ns; ++i) fn(i, i, pr.weights.size() == 1 ? 0 : i);
        break;
      case Encoding::Conv: {
        const auto& ds = net_.populations[pr.target].shape;
        const auto& ss = net_.populations[pr.source].shape;
        for (uint64_t s = 0; s < v.ns; ++s) {
          const uint32_t ci = static_cast<uint32_t>(s / v.ch.in_pixels);
          const uint32_t y = static_cast<uint32_t>((s % v.ch.in_pixels) / ss[2]), x = static_cast<uint32_t>(s % ss[2]);
          const uint32_t g = v.ch.group_of_input(ci);
          for_each_conv_tap(pr.conv, ds[1], ds[2], y, x, [&](uint64_t pix, uint32_t tap) {
            for (uint32_t co = g * v.ch.cout_per_group; co < (g + 1) * v.ch.cout_per_group; ++co)
              fn(s, co * v.ch.out_pixels + pix, v.ch.kernel_index(co, ci, tap));
          });
        }
        break;
      }
      case Encoding::Dense: break;
    }
  }

  void build_reverse(const Projection& pr, ProjectionView& v) {
    v.rbegin.assign(v.nd + 1, 0);
    for_each_synapse(pr, v, [&](uint64_t, uint64_t t, uint64_t) { ++v.rbegin[t + 1]; });
    std::partial_sum(v.rbegin.begin(), v.rbegin.end(), v.rbegin.begin());
    v.rsrc.resize(v.rbegin.back());
    v.rk.resize(v.rbegin.back());
    std::vector<uint64_t> fill(v.rbegin.begin(), v.rbegin.end() - 1);
    for_each_synapse(pr, v, [&](uint64_t s, uint64_t t, uint64_t k) {
      v.rsrc[fill[t]] = static_cast<uint32_t>(s);
      v.rk[fill[t]++] = k;
    });
  }

  void build_pixel_reverse(const Projection& pr, ProjectionView& v) {
    const auto& ds = net_.populations[pr.target].shape;
    const auto& ss = net_.populations[pr.source].shape;
    std::vector<std::vector<uint32_t>> lists(v.ch.out_pixels);
    for (uint32_t q = 0; q < v.ch.in_pixels; ++q)
      for_each_conv_tap(pr.conv, ds[1], ds[2], q / ss[2], q % ss[2], [&](uint64_t pix, uint32_t) {
        auto& l = lists[pix];
        if (l.empty() || l.back() != q) l.push_back(q);
      });
    v.pbegin.assign(v.ch.out_pixels + 1, 0);
    for (uint64_t p = 0; p < v.ch.out_pixels; ++p) {
      v.pbegin[p + 1] = v.pbegin[p] + lists[p].size();
      v.psrc.insert(v.psrc.end(), lists[p].begin(), lists[p].end());
    }
    v.chan_stamp.assign(ds[0], 0);
    v.group_stamp.assign(pr.conv.groups, 0);
    v.group_k.assign(pr.conv.groups, 0);
    v.pix_stamp.assign(v.ch.in_pixels, 0);
  }

  // ---- partition ----
  void set(uint32_t& slot, uint32_t value) {
    log_.emplace_back(&slot, slot);
    slot = value;
  }
  void claim_axon(uint64_t global) {
    if (axon_stamp_[global] != serial_) {
      set(axon_stamp_[global], serial_);
      ++use_.input_axons;
    }
  }

  // Charges neuron i of population P to the core being filled (every change logged in log_).
  void account(uint32_t P, uint64_t i) {
    ++use_.compartments;
    use_.output_axons += out_estimate_[offset_[P] + i];
    for (uint32_t j : incoming_[P]) {
      ProjectionView& v = views_[j];
      switch (v.kind) {
        case ProjKind::Dense: {
          if (v.dense_stamp != serial_) {
            set(v.dense_stamp, serial_);
            set(v.dense_n, 0);
          }
          const uint32_t n = v.dense_n;
          if (n == 0)
            for (uint64_t s = 0; s < v.ns; ++s) claim_axon(v.src_offset + s);
          use_.synapse_words += v.ns * (list_words(v.format, n + 1) - list_words(v.format, n));
          set(v.dense_n, n + 1);
          break;
        }
        case ProjKind::SparseLike:
          for (uint64_t r = v.rbegin[i]; r < v.rbegin[i + 1]; ++r) {
            const uint32_t s = v.rsrc[r];
            claim_axon(v.src_offset + s);
            if (v.seg_stamp[s] != serial_) {
              set(v.seg_stamp[s], serial_);
              set(v.seg_cnt[s], 0);
            }
            const uint32_t c = v.seg_cnt[s];
            use_.synapse_words += list_words(v.format, c + 1) - list_words(v.format, c);
            set(v.seg_cnt[s], c + 1);
          }
          break;
        case ProjKind::SharedConv: {
          const uint32_t co = static_cast<uint32_t>(i / v.ch.out_pixels);
          const uint64_t pix = i % v.ch.out_pixels;
          if (v.chan_stamp[co] != serial_) {
            set(v.chan_stamp[co], serial_);
            const uint32_t g = co / v.ch.cout_per_group;
            if (v.group_stamp[g] != serial_) {
              set(v.group_stamp[g], serial_);
              set(v.group_k[g], 0);
            }
            const uint32_t k = v.group_k[g];
            use_.synapse_words += uint64_t{v.ch.cin_per_group} * (list_words(v.format, uint64_t{k + 1} * v.ch.taps) -
                                                                  list_words(v.format, uint64_t{k} * v.ch.taps));
            set(v.group_k[g], k + 1);
          }
          for (uint64_t r = v.pbegin[pix]; r < v.pbegin[pix + 1]; ++r)
            if (v.pix_stamp[v.psrc[r]] != serial_) {
              set(v.pix_stamp[v.psrc[r]], serial_);
              ++use_.input_axons;
            }
          break;
        }
      }
    }
  }

  bool within_limits() const {
    const auto& c = chip_.core;
    return use_.compartments <= c.compartments && use_.input_axons <= c.input_axons &&
           use_.synapse_words <= c.synapse_words && use_.output_axons <= c.output_axons;
  }
  void undo(const Usage& before) {
    for (auto it = log_.rbegin(); it != log_.rend(); ++it) *it->first = it->second;
    use_ = before;
  }

  // Adds neurons ids[0, n) of population P (a unit: one neuron, or one row of a band) to the core being
  // filled; false (and nothing changed) if they do not all fit. Use only grows with neurons added, so
  // checking the limits once for the whole unit is exact.
  bool try_add(uint32_t P, const uint64_t* ids, size_t n) {
    log_.clear();
    const Usage before = use_;
    for (size_t k = 0; k < n; ++k) account(P, ids[k]);
    if (within_limits()) return true;
    failed_ = use_;
    undo(before);
    return false;
  }

  // Whether the unit would fit on an empty core (nothing changed; the trial's serial is never left in a stamp).
  bool fits_empty(uint32_t P, const uint64_t* ids, size_t n) {
    const Usage saved = use_;
    const uint32_t saved_serial = serial_;
    ++serial_;
    use_ = Usage{};
    log_.clear();
    for (size_t k = 0; k < n; ++k) account(P, ids[k]);
    const bool fits = within_limits();
    undo(saved);
    serial_ = saved_serial;
    return fits;
  }

  [[noreturn]] void fail_single(uint32_t P, uint64_t i) const {
    const auto& c = chip_.core;
    const std::string who = "population '" + net_.populations[P].name + "' (neuron " + std::to_string(i) + ")";
    const std::string& name = net_.populations[P].name;
    std::ostringstream os;
    if (failed_.input_axons > c.input_axons) {
      os << who << ": resource input axons: one neuron needs " << failed_.input_axons << " input axons, a core has "
         << c.input_axons << " (" << core_key("input_axons") << ")";
      fail(os.str(), name, "input axons", failed_.input_axons, c.input_axons);
    }
    if (failed_.synapse_words > c.synapse_words) {
      os << who << ": resource synapse words: one neuron needs " << failed_.synapse_words
         << " 64-bit synapse words, a core has " << c.synapse_words << " (" << core_key("synapse_words") << ")";
      fail(os.str(), name, "synapse words", failed_.synapse_words, c.synapse_words);
    }
    if (failed_.output_axons > c.output_axons) {
      os << who << ": resource output axons: one neuron needs " << failed_.output_axons << " output axons, a core has "
         << c.output_axons << " (" << core_key("output_axons") << ")";
      fail(os.str(), name, "output axons", failed_.output_axons, c.output_axons);
    }
    os << who << ": resource compartments: needs 1, a core has " << c.compartments << " (" << core_key("compartments") << ")";
    fail(os.str(), name, "compartments", 1, c.compartments);
  }

  // ---- row bands ----
  // A (C, H, W) population that is the target of a conv projection is tiled spatially: the unit of the
  // greedy fill is one pixel of a block of K channels, taken in raster order, so a core holds a run of
  // pixels [p0, p1) (whole rows, or a row band that starts or ends mid-row) of each channel of the block,
  // one segment per channel. K is all channels when one pixel of them fits on an empty core, else the
  // most that fit, balanced over the blocks. 0: not even one channel of a pixel fits, the population is
  // filled neuron by neuron in C order like any other (and fails naming the neuron).
  bool is_banded(uint32_t P) const {
    const auto& shape = net_.populations[P].shape;
    if (shape.size() != 3 || shape[1] < 2) return false;
    for (uint32_t j : incoming_[P])
      if (net_.projections[j].encoding == Encoding::Conv) return true;
    return false;
  }

  void band_unit(uint32_t P, uint32_t c0, uint32_t c1, uint64_t pixel, std::vector<uint64_t>& ids) const {
    const uint64_t hw = pixels_of(P);
    ids.clear();
    for (uint32_t c = c0; c < c1; ++c) ids.push_back(c * hw + pixel);
  }

  uint32_t channel_block(uint32_t P) {
    const auto& shape = net_.populations[P].shape;
    std::vector<uint64_t> ids;
    auto fits = [&](uint32_t k) {   // an inner pixel: the most input axons
      band_unit(P, 0, k, uint64_t{shape[1] / 2} * shape[2] + shape[2] / 2, ids);
      return fits_empty(P, ids.data(), ids.size());
    };
    if (!fits(1)) return 0;
    uint32_t lo = 1, hi = shape[0];   // fits(lo); the answer is in [lo, hi]
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

  // ---- partition ----
  void new_core(uint32_t P, uint64_t i) {
    if (cores_.size() == geo_.cores() && first_overflow_ < 0) {
      first_overflow_ = static_cast<int64_t>(P);
      first_overflow_neuron_ = i;
    }
    cores_.emplace_back();
    ++serial_;
    use_ = Usage{};
  }

  // Records neuron i of P on the core being filled: it extends that core's segment of its channel (banded
  // populations) or of its population; the fill order keeps each one contiguous.
  void record(uint32_t P, uint64_t i) {
    PartCore& core = cores_.back();
    const uint32_t key = tile_channels_[P] ? static_cast<uint32_t>(i / pixels_of(P)) : 0;
    if (open_core_ != cores_.size() || open_population_ != P) {
      open_core_ = cores_.size();
      open_population_ = P;
      open_segment_.assign(tile_channels_[P] ? net_.populations[P].shape[0] : 1, -1);
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

  uint64_t pixels_of(uint32_t P) const { return uint64_t{net_.populations[P].shape[1]} * net_.populations[P].shape[2]; }

  // Adds a unit to the core being filled, or to a new core; a unit that does not fit an empty core is
  // added neuron by neuron (a single neuron that does not fit is the error).
  void add_unit(uint32_t P, const uint64_t* ids, size_t n) {
    if (!try_add(P, ids, n)) {
      if (use_.compartments > 0) {
        new_core(P, ids[0]);
        if (try_add(P, ids, n)) {
          for (size_t k = 0; k < n; ++k) record(P, ids[k]);
          return;
        }
      }
      if (n == 1) fail_single(P, ids[0]);
      for (size_t k = 0; k < n; ++k) add_unit(P, ids + k, 1);
      return;
    }
    for (size_t k = 0; k < n; ++k) record(P, ids[k]);
  }

  void partition() {
    axon_stamp_.assign(offset_.back(), 0);
    ++serial_;   // never reused: the projection views keep stamps of earlier rounds
    cores_.clear();
    use_ = Usage{};
    first_overflow_ = -1;
    open_core_ = 0;
    cores_.emplace_back();
    tile_channels_.assign(net_.populations.size(), 0);
    std::vector<uint64_t> ids;
    for (uint32_t P = 0; P < net_.populations.size(); ++P) {
      if (is_banded(P)) tile_channels_[P] = channel_block(P);
      if (const uint32_t K = tile_channels_[P]) {
        const uint32_t C = net_.populations[P].shape[0];
        for (uint32_t c0 = 0; c0 < C; c0 += K)
          for (uint64_t pixel = 0; pixel < pixels_of(P); ++pixel) {
            band_unit(P, c0, std::min(c0 + K, C), pixel, ids);
            add_unit(P, ids.data(), ids.size());
          }
        continue;
      }
      const uint64_t n = net_.populations[P].size();
      for (uint64_t i = 0; i < n; ++i) add_unit(P, &i, 1);
    }
    // Compartments: a core's segments in population, then neuron order (a population's segments adjacent,
    // so a dense list over them stays one run of consecutive compartments).
    for (PartCore& core : cores_) {
      std::sort(core.segments.begin(), core.segments.end(), [](const CoreSegment& a, const CoreSegment& b) {
        return a.population != b.population ? a.population < b.population : a.first < b.first;
      });
      uint32_t base = 0;
      for (CoreSegment& s : core.segments) {
        s.base = base;
        base += s.count;
      }
    }
  }

  // After the last round: the core count against the mesh (rounds run on an unbounded mesh, so the need
  // reported is the final one).
  void check_core_count() const {
    if (cores_.size() > geo_.cores()) {
      std::ostringstream os;
      os << "resource cores: the network needs " << cores_.size() << " cores, the chip has " << geo_.cores() << " ("
         << geo_.chips_x << "x" << geo_.chips_y << " chips of " << geo_.routers_x << "x" << geo_.routers_y
         << " routers, " << geo_.cores_per_router << " cores each: chip.mesh); population '"
         << net_.populations[first_overflow_].name << "' from neuron " << first_overflow_neuron_
         << " is the first that does not fit";
      fail(os.str(), net_.populations[first_overflow_].name, "cores", cores_.size(), geo_.cores());
    }
  }

  // ---- rounds: routing entries without the tables ----
  // out_need_[g]: the routing entries compile() would give neuron g (discrete: one per core holding a
  // target of g; population axons: one per (core, kernel) whose band g's pixel reaches, where g's channel
  // has a kernel row), over_core_: the first core over chip.core.output_axons. Raises the synapse-format
  // failure compile() would, for the first core over 16 formats (the only per-core failure compiling adds).
  void count_outputs() {
    out_need_.assign(offset_.back(), 0);
    src_stamp_.assign(offset_.back(), 0);
    auto reach = [&](uint64_t g, uint32_t stamp) {
      if (src_stamp_[g] != stamp) {
        src_stamp_[g] = stamp;
        ++out_need_[g];
      }
    };
    std::vector<SynapseFormat> formats;
    auto use_format = [&](const SynapseFormat& f) {
      if (std::find(formats.begin(), formats.end(), f) == formats.end()) formats.push_back(f);
    };
    ConvKernelEntry kern;
    std::vector<uint8_t> reached;
    std::vector<uint32_t> pixels;
    for (uint32_t c = 0; c < cores_.size(); ++c) {
      const auto& segs = cores_[c].segments;
      formats.clear();
      for (const CoreSegment& seg : segs)
        for (uint32_t j : incoming_[seg.population]) {
          const ProjectionView& v = views_[j];
          if (v.kind == ProjKind::Dense) {
            if (seg.count == 0 || v.ns == 0) continue;
            use_format(v.format);
            for (uint64_t s = 0; s < v.ns; ++s) reach(v.src_offset + s, c + 1);
          } else if (v.kind == ProjKind::SparseLike) {
            const uint64_t r0 = v.rbegin[seg.first], r1 = v.rbegin[seg.first + seg.count];
            if (r0 == r1) continue;
            use_format(v.format);
            for (uint64_t r = r0; r < r1; ++r) reach(v.src_offset + v.rsrc[r], c + 1);
          }
        }
      for (size_t s0 = 0; s0 < segs.size();) {
        const uint32_t P = segs[s0].population;
        size_t s1 = s0;
        while (s1 < segs.size() && segs[s1].population == P) ++s1;
        for (uint32_t j : incoming_[P]) {
          const ProjectionView& v = views_[j];
          if (v.kind != ProjKind::SharedConv) continue;
          conv_span(segs, s0, s1, j, c, kern, reached);
          use_format(v.format);
          pixels.clear();
          for (uint32_t q = 0; q < v.ch.in_pixels; ++q)
            if (reached[q]) pixels.push_back(q);
          const uint32_t cin = net_.populations[net_.projections[j].source].shape[0];
          for (uint32_t ci = 0; ci < cin; ++ci) {
            const uint32_t g = v.ch.group_of_input(ci);
            if (std::max(kern.co_lo, g * v.ch.cout_per_group) > std::min(kern.co_hi, (g + 1) * v.ch.cout_per_group - 1)) continue;
            uint32_t* need = out_need_.data() + v.src_offset + uint64_t{ci} * v.ch.in_pixels;
            for (uint32_t q : pixels) ++need[q];
          }
        }
        s0 = s1;
      }
      if (formats.size() > kMaxSynapseFormats) fail_formats(segs, c);
    }
    over_core_ = -1;
    for (uint32_t c = 0; c < cores_.size() && over_core_ < 0; ++c)
      if (core_outputs(c) > chip_.core.output_axons) over_core_ = c;
  }

  // The routing entries of core c's compartments in the last count.
  uint64_t core_outputs(uint32_t c) const {
    uint64_t n = 0;
    for (const CoreSegment& s : cores_[c].segments)
      for (uint64_t i = s.first; i < s.first + s.count; ++i) n += out_need_[offset_[s.population] + i];
    return n;
  }

  // ---- compile ----
  uint32_t format_id(CoreProgram& core, uint32_t c, const SynapseFormat& f) const {
    for (uint32_t k = 0; k < core.formats.size(); ++k)
      if (core.formats[k] == f) return k;
    if (core.formats.size() == kMaxSynapseFormats) fail_formats(core.segments, c);
    core.formats.push_back(f);
    return static_cast<uint32_t>(core.formats.size() - 1);
  }

  [[noreturn]] void fail_formats(const std::vector<CoreSegment>& segments, uint32_t c) const {
    fail("core " + std::to_string(c) + " (" + populations_on(segments) + "): resource synapse formats: needs more than " +
         std::to_string(kMaxSynapseFormats) + " synapse formats, a core has " + std::to_string(kMaxSynapseFormats) +
         " (4-bit format id)", sole_population(segments), "synapse formats", kMaxSynapseFormats + 1, kMaxSynapseFormats);
  }

  std::string sole_population(const std::vector<CoreSegment>& segments) const {
    return segments.size() == 1 ? net_.populations[segments[0].population].name : std::string();
  }

  std::string populations_on(const std::vector<CoreSegment>& segments) const {
    std::string s = "populations";
    for (size_t k = 0; k < segments.size(); ++k) s += (k ? ", '" : " '") + net_.populations[segments[k].population].name + "'";
    return s;
  }

  struct Entry {
    uint32_t source;       // global source neuron
    uint32_t projection;
    uint32_t compartment;
    int16_t mantissa;
    uint8_t delay;
  };

  void compile_discrete(CoreProgram& core, uint32_t c, std::vector<std::pair<uint32_t, Destination>>& dests) {
    std::vector<Entry> entries;
    for (const CoreSegment& seg : core.segments)
      for (uint32_t j : incoming_[seg.population]) {
        const ProjectionView& v = views_[j];
        const Projection& pr = net_.projections[j];
        if (v.kind == ProjKind::Dense) {
          for (uint64_t t = seg.first; t < seg.first + seg.count; ++t)
            for (uint64_t s = 0; s < v.ns; ++s) {
              const uint64_t k = t * v.ns + s;
              entries.push_back({static_cast<uint32_t>(v.src_offset + s), j, static_cast<uint32_t>(seg.base + (t - seg.first)),
                                 pr.weights[k], pr.delay(k)});
            }
        } else if (v.kind == ProjKind::SparseLike) {
          for (uint64_t t = seg.first; t < seg.first + seg.count; ++t)
            for (uint64_t r = v.rbegin[t]; r < v.rbegin[t + 1]; ++r) {
              const uint64_t k = v.rk[r];
              entries.push_back({static_cast<uint32_t>(v.src_offset + v.rsrc[r]), j,
                                 static_cast<uint32_t>(seg.base + (t - seg.first)), pr.weights[k], pr.delay(k)});
            }
        }
      }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.source != b.source ? a.source < b.source : a.projection < b.projection;
    });
    std::vector<SynapseRecord> records;
    for (size_t b = 0; b < entries.size();) {
      const uint32_t source = entries[b].source;
      InputAxonEntry axon;
      axon.kind = AxonKind::Discrete;
      axon.source_population = population_of(source);
      axon.word_offset = core.synapse_words.size();
      size_t e = b;
      while (e < entries.size() && entries[e].source == source) {
        const uint32_t j = entries[e].projection;
        size_t f = e;
        records.clear();
        const ProjectionView& v = views_[j];
        const uint32_t base = entries[e].compartment;
        while (f < entries.size() && entries[f].source == source && entries[f].projection == j) {
          const Entry& x = entries[f];
          SynapseRecord rec;
          rec.index = v.format.layout == BlockLayout::Dense ? x.compartment - base : x.compartment;
          rec.delay = x.delay;
          rec.mantissa = x.mantissa;
          records.push_back(rec);
          ++f;
        }
        pack_list(core.synapse_words, format_id(core, c, v.format), v.format, base, records.data(), records.size());
        e = f;
      }
      axon.words = static_cast<uint32_t>(core.synapse_words.size() - axon.word_offset);
      dests.push_back({source, Destination{c, static_cast<uint32_t>(core.input_axons.size()), 0, static_cast<uint32_t>(e - b)}});
      core.input_axons.push_back(axon);
      b = e;
    }
  }

  // What segments [s0, s1) of core c (one population's) hold of shared-conv projection j's target: the
  // kernel's output channels co_lo..co_hi and rows [y_lo, y_hi), and reached[q] = 1 for each source pixel q
  // that reaches a held neuron.
  void conv_span(const std::vector<CoreSegment>& segs, size_t s0, size_t s1, uint32_t j, uint32_t c, ConvKernelEntry& kern,
                 std::vector<uint8_t>& reached) const {
    const ProjectionView& v = views_[j];
    const uint32_t P = segs[s0].population;
    const auto& ds = net_.populations[P].shape;
    kern.projection = j;
    kern.co_lo = static_cast<uint32_t>(segs[s0].first / v.ch.out_pixels);
    kern.co_hi = kern.co_lo;
    kern.y_lo = ds[1];
    reached.assign(v.ch.in_pixels, 0);
    uint64_t held = 0;
    uint64_t done_lo = 1, done_hi = 0;   // the pixel run of the last segment walked (a band's channels share it)
    for (size_t k = s0; k < s1; ++k) {
      const CoreSegment& seg = segs[k];
      const uint64_t last = seg.first + seg.count - 1;
      kern.co_lo = std::min(kern.co_lo, static_cast<uint32_t>(seg.first / v.ch.out_pixels));
      kern.co_hi = std::max(kern.co_hi, static_cast<uint32_t>(last / v.ch.out_pixels));
      held += seg.count;
      if (seg.first / v.ch.out_pixels != last / v.ch.out_pixels) {   // a C-order range across channels
        kern.y_lo = 0;
        kern.y_hi = ds[1];
        for (uint64_t t = seg.first; t <= last; ++t) {
          const uint64_t pix = t % v.ch.out_pixels;
          for (uint64_t r = v.pbegin[pix]; r < v.pbegin[pix + 1]; ++r) reached[v.psrc[r]] = 1;
        }
        continue;
      }
      const uint64_t p0 = seg.first % v.ch.out_pixels, p1 = last % v.ch.out_pixels;
      kern.y_lo = std::min<uint32_t>(kern.y_lo, static_cast<uint32_t>(p0 / ds[2]));
      kern.y_hi = std::max<uint32_t>(kern.y_hi, static_cast<uint32_t>(p1 / ds[2] + 1));
      if (p0 == done_lo && p1 == done_hi) continue;
      for (uint64_t pix = p0; pix <= p1; ++pix)
        for (uint64_t r = v.pbegin[pix]; r < v.pbegin[pix + 1]; ++r) reached[v.psrc[r]] = 1;
      done_lo = p0;
      done_hi = p1;
    }
    // The mapper only makes contiguous channel sets; a gap would store kernel rows nobody uses.
    if (uint64_t{kern.co_hi - kern.co_lo + 1} * v.ch.out_pixels < held)
      throw Error("mapping: internal: core " + std::to_string(c) + " holds population '" + net_.populations[P].name +
                  "' on a non-contiguous channel set");
  }

  // Shared kernels: per target population held and incoming shared-conv projection, one kernel for the
  // output channels held (contiguous: a channel block of a band, or a C-order range) and one population
  // axon per source pixel that reaches a held neuron.
  void compile_conv(CoreProgram& core, uint32_t c, std::vector<std::pair<uint32_t, Destination>>& dests) {
    for (size_t s0 = 0; s0 < core.segments.size();) {
      const uint32_t P = core.segments[s0].population;
      size_t s1 = s0;
      while (s1 < core.segments.size() && core.segments[s1].population == P) ++s1;
      for (uint32_t j : incoming_[P]) {
        const ProjectionView& v = views_[j];
        if (v.kind != ProjKind::SharedConv) continue;
        const Projection& pr = net_.projections[j];
        const auto& ss = net_.populations[pr.source].shape;
        ConvKernelEntry kern;
        std::vector<uint8_t> reached;
        conv_span(core.segments, s0, s1, j, c, kern, reached);
        const SynapseFormat& f = v.format;
        const uint32_t fid = format_id(core, c, f);
        std::vector<SynapseRecord> records;
        for (uint32_t ci = 0; ci < ss[0]; ++ci) {
          const uint32_t g = v.ch.group_of_input(ci);
          const uint32_t lo = std::max(kern.co_lo, g * v.ch.cout_per_group);
          const uint32_t hi = std::min(kern.co_hi, (g + 1) * v.ch.cout_per_group - 1);
          kern.row_offset.push_back(core.synapse_words.size());
          kern.row_co_first.push_back(lo);
          kern.row_co_count.push_back(lo <= hi ? hi - lo + 1 : 0);
          records.clear();
          for (uint32_t co = lo; co <= hi && lo <= hi; ++co)
            for (uint32_t tap = 0; tap < v.ch.taps; ++tap) {
              const uint64_t k = v.ch.kernel_index(co, ci, tap);
              SynapseRecord rec;
              rec.index = static_cast<uint32_t>(records.size());
              rec.delay = pr.delay(k);
              rec.mantissa = pr.weights[k];
              records.push_back(rec);
            }
          const uint64_t w = records.empty() ? 0 : pack_list(core.synapse_words, fid, f, 0, records.data(), records.size());
          kern.row_words.push_back(static_cast<uint32_t>(w));
        }
        const uint32_t kernel_index = static_cast<uint32_t>(core.kernels.size());
        for (uint32_t q = 0; q < v.ch.in_pixels; ++q) {
          if (!reached[q]) continue;
          InputAxonEntry axon;
          axon.kind = AxonKind::ConvPopulation;
          axon.source_population = pr.source;
          axon.kernel = kernel_index;
          axon.pixel_y = q / ss[2];
          axon.pixel_x = q % ss[2];
          const uint32_t id = static_cast<uint32_t>(core.input_axons.size());
          core.input_axons.push_back(axon);
          for (uint32_t ci = 0; ci < ss[0]; ++ci)
            if (kern.row_words[ci] > 0)
              dests.push_back({static_cast<uint32_t>(v.src_offset + uint64_t{ci} * v.ch.in_pixels + q), Destination{c, id, ci, 0}});
        }
        core.kernels.push_back(std::move(kern));
      }
      s0 = s1;
    }
  }

  uint32_t population_of(uint64_t global) const {
    return static_cast<uint32_t>(std::upper_bound(offset_.begin(), offset_.end(), global) - offset_.begin() - 1);
  }

  ChipProgram compile() {
    ChipProgram chip;
    chip.geometry = geo_;
    chip.cores.resize(std::max<size_t>(geo_.cores(), cores_.size()));   // more only in a round that will fail
    chip.cores_used = static_cast<uint32_t>(cores_.size());
    chip.max_delay = max_delay_;
    chip.index_bits = index_bits_;
    chip.placement.resize(net_.populations.size());
    chip.tile_channels = tile_channels_;
    std::vector<std::pair<uint32_t, Destination>> dests;
    for (uint32_t c = 0; c < cores_.size(); ++c) {
      CoreProgram& core = chip.cores[c];
      core.segments = cores_[c].segments;
      core.compartments = cores_[c].compartments;
      for (const auto& s : core.segments) chip.placement[s.population].push_back({c, s});
      compile_discrete(core, c, dests);
      compile_conv(core, c, dests);
    }
    // Stable counting sort by source neuron (the same order as a stable sort, in linear time).
    std::vector<uint64_t> dbegin(offset_.back() + 1, 0);
    for (const auto& d : dests) ++dbegin[d.first + 1];
    std::partial_sum(dbegin.begin(), dbegin.end(), dbegin.begin());
    {
      std::vector<std::pair<uint32_t, Destination>> sorted(dests.size());
      std::vector<uint64_t> fill(dbegin.begin(), dbegin.end() - 1);
      for (const auto& d : dests) sorted[fill[d.first]++] = d;
      dests.swap(sorted);
    }
    for (uint32_t c = 0; c < cores_.size(); ++c) {
      CoreProgram& core = chip.cores[c];
      core.out_begin.assign(1, 0);
      for (const CoreSegment& s : core.segments)
        for (uint64_t i = s.first; i < s.first + s.count; ++i) {
          const uint64_t g = offset_[s.population] + i;
          for (uint64_t k = dbegin[g]; k < dbegin[g + 1]; ++k) {
            Destination d = dests[k].second;
            const auto place = geo_.place(d.core);
            d.x = static_cast<uint16_t>(place.x);
            d.y = static_cast<uint16_t>(place.y);
            d.local = static_cast<uint16_t>(place.local);
            core.out.push_back(d);
          }
          core.out_begin.push_back(static_cast<uint32_t>(core.out.size()));
        }
    }
    return chip;
  }

  [[noreturn]] void fail_output_axons(uint32_t c) const {
    const auto& segments = cores_[c].segments;
    const uint64_t need = core_outputs(c);
    fail("core " + std::to_string(c) + " (" + populations_on(segments) + "): resource output axons: needs " +
         std::to_string(need) + " output axons, a core has " + std::to_string(chip_.core.output_axons) + " (" +
         core_key("output_axons") + ")", sole_population(segments), "output axons", need, chip_.core.output_axons);
  }

  const Network& net_;
  const ChipParams& chip_;
  MeshGeometry geo_;
  uint8_t index_bits_ = 10;
  uint32_t max_delay_ = 0;
  std::vector<uint64_t> offset_;
  std::vector<std::vector<uint32_t>> incoming_;
  std::vector<ProjectionView> views_;
  std::vector<uint32_t> axon_stamp_;
  uint32_t serial_ = 0;
  Usage use_, failed_;
  std::vector<std::pair<uint32_t*, uint32_t>> log_;
  struct PartCore {
    std::vector<CoreSegment> segments;
    uint32_t compartments = 0;
  };
  std::vector<PartCore> cores_;
  std::vector<uint32_t> tile_channels_;        // per population: channels per row band (0: contiguous ranges)
  size_t open_core_ = 0;                       // record(): the core and population whose open segments
  uint32_t open_population_ = 0;               // open_segment_ indexes (per channel, or one)
  std::vector<int32_t> open_segment_;
  int64_t first_overflow_ = -1;
  int64_t over_core_ = -1;                     // the first core of the last count over its output axons
  std::vector<uint32_t> out_need_;             // per global neuron: routing entries of the last partition
  std::vector<uint32_t> src_stamp_;            // count_outputs: per global neuron, the core (+ 1) last counted
  std::vector<uint32_t> out_estimate_;         // per global neuron: routing entries charged in the partition
  uint64_t first_overflow_neuron_ = 0;
};

}  // namespace

ChipProgram map_network(const Network& net, const ChipParams& chip) { return Mapper(net, chip).run(); }

uint32_t map_network_cores(const Network& net, const ChipParams& chip) { return Mapper(net, chip).check(); }

}  // namespace spikemesh
