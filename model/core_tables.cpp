// Per-core table compilation (discrete lists, shared conv kernels, output axons) and the routing-entry
// count of a partition; see core_tables.h.
#include "core_tables.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "error.h"
#include "placement.h"
#include "synapse_memory.h"

namespace spikemesh {
namespace {

std::string sole_population(const Network& net, const std::vector<CoreSegment>& segments) {
  return segments.size() == 1 ? net.populations[segments[0].population].name : std::string();
}

std::string populations_on(const Network& net, const std::vector<CoreSegment>& segments) {
  std::string s = "populations";
  for (size_t k = 0; k < segments.size(); ++k)
    s += (k ? ", '" : " '") + net.populations[segments[k].population].name + "'";
  return s;
}

[[noreturn]] void fail_formats(const Network& net, const std::vector<CoreSegment>& segments, uint32_t c) {
  fail_mapping("core " + std::to_string(c) + " (" + populations_on(net, segments) +
                   "): resource synapse formats: needs more than " + std::to_string(kMaxSynapseFormats) +
                   " synapse formats, a core has " + std::to_string(kMaxSynapseFormats) + " (4-bit format id)",
               sole_population(net, segments), "synapse formats", kMaxSynapseFormats + 1, kMaxSynapseFormats);
}

// The id of format f in core c's table, added if new (a 4-bit field: at most 16 per core).
uint32_t format_id(const Network& net, CoreProgram& core, uint32_t c, const SynapseFormat& f) {
  for (uint32_t k = 0; k < core.formats.size(); ++k)
    if (core.formats[k] == f) return k;
  if (core.formats.size() == kMaxSynapseFormats) fail_formats(net, core.segments, c);
  core.formats.push_back(f);
  return static_cast<uint32_t>(core.formats.size() - 1);
}

// What segments [s0, s1) of core c (one population's) hold of shared-conv projection j's target: the
// kernel's output channels co_lo..co_hi and rows [y_lo, y_hi), and reached[q] = 1 for each source pixel q
// that reaches a held neuron.
void conv_span(const MappingIndex& index, const std::vector<CoreSegment>& segs, size_t s0, size_t s1, uint32_t j,
               uint32_t c, ConvKernelEntry& kern, std::vector<uint8_t>& reached) {
  const ProjectionView& v = index.views[j];
  const uint32_t P = segs[s0].population;
  const auto& ds = index.net.populations[P].shape;
  kern.projection = j;
  kern.co_lo = static_cast<uint32_t>(segs[s0].first / v.ch.out_pixels);
  kern.co_hi = kern.co_lo;
  kern.y_lo = ds[1];
  reached.assign(v.ch.in_pixels, 0);
  uint64_t held = 0;
  uint64_t done_lo = 1, done_hi = 0;  // the pixel run of the last segment walked (a band's channels share it)
  for (size_t k = s0; k < s1; ++k) {
    const CoreSegment& seg = segs[k];
    const uint64_t last = seg.first + seg.count - 1;
    kern.co_lo = std::min(kern.co_lo, static_cast<uint32_t>(seg.first / v.ch.out_pixels));
    kern.co_hi = std::max(kern.co_hi, static_cast<uint32_t>(last / v.ch.out_pixels));
    held += seg.count;
    if (seg.first / v.ch.out_pixels != last / v.ch.out_pixels) {  // a C-order range across channels
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
    throw Error("mapping: internal: core " + std::to_string(c) + " holds population '" + index.net.populations[P].name +
                "' on a non-contiguous channel set");
}

// One synapse of a discrete list before packing.
struct Entry {
  uint32_t source;  // global source neuron
  uint32_t projection;
  uint32_t compartment;
  int16_t mantissa;
  uint8_t delay;
};

using Routed = std::vector<std::pair<uint32_t, Destination>>;  // (global source neuron, where its spike goes)

// Discrete axons: one per source neuron with synapses on the core, its list one block per projection.
void compile_discrete(const MappingIndex& index, CoreProgram& core, uint32_t c, Routed& dests) {
  const Network& net = index.net;
  std::vector<Entry> entries;
  for (const CoreSegment& seg : core.segments)
    for (uint32_t j : index.incoming[seg.population]) {
      const ProjectionView& v = index.views[j];
      const Projection& pr = net.projections[j];
      if (v.kind == ProjKind::Dense) {
        for (uint64_t t = seg.first; t < seg.first + seg.count; ++t)
          for (uint64_t s = 0; s < v.ns; ++s) {
            const uint64_t k = t * v.ns + s;
            entries.push_back({static_cast<uint32_t>(v.src_offset + s), j,
                               static_cast<uint32_t>(seg.base + (t - seg.first)), pr.weights[k], pr.delay(k)});
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
    axon.source_population = index.population_of(source);
    axon.word_offset = core.synapse_words.size();
    size_t e = b;
    while (e < entries.size() && entries[e].source == source) {
      const uint32_t j = entries[e].projection;
      size_t f = e;
      records.clear();
      const ProjectionView& v = index.views[j];
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
      pack_list(core.synapse_words, format_id(net, core, c, v.format), v.format, base, records.data(), records.size());
      e = f;
    }
    axon.words = static_cast<uint32_t>(core.synapse_words.size() - axon.word_offset);
    const Destination d{c, static_cast<uint32_t>(core.input_axons.size()), 0, static_cast<uint32_t>(e - b)};
    dests.push_back({source, d});
    core.input_axons.push_back(axon);
    b = e;
  }
}

// Shared kernels: per target population held and incoming shared-conv projection, one kernel for the
// output channels held (contiguous: a channel block of a band, or a C-order range) and one population
// axon per source pixel that reaches a held neuron.
void compile_conv(const MappingIndex& index, CoreProgram& core, uint32_t c, Routed& dests) {
  const Network& net = index.net;
  for (size_t s0 = 0; s0 < core.segments.size();) {
    const uint32_t P = core.segments[s0].population;
    size_t s1 = s0;
    while (s1 < core.segments.size() && core.segments[s1].population == P) ++s1;
    for (uint32_t j : index.incoming[P]) {
      const ProjectionView& v = index.views[j];
      if (v.kind != ProjKind::SharedConv) continue;
      const Projection& pr = net.projections[j];
      const auto& ss = net.populations[pr.source].shape;
      ConvKernelEntry kern;
      std::vector<uint8_t> reached;
      conv_span(index, core.segments, s0, s1, j, c, kern, reached);
      const SynapseFormat& f = v.format;
      const uint32_t fid = format_id(net, core, c, f);
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
        const uint64_t w =
            records.empty() ? 0 : pack_list(core.synapse_words, fid, f, 0, records.data(), records.size());
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
            dests.push_back(
                {static_cast<uint32_t>(v.src_offset + uint64_t{ci} * v.ch.in_pixels + q), Destination{c, id, ci, 0}});
      }
      core.kernels.push_back(std::move(kern));
    }
    s0 = s1;
  }
}

// Per core, the output axons its compartments use and each neuron's charge: the first neuron of a sharing key
// on the core (in segment order) holds the range and is charged all of it (out_need; the key's neurons have
// equal lists), the others nothing. A partition that splits a key's neurons differently charges the new
// holders in the next round (charges only grow), so the sum charged to a core bounds what it uses.
// chip.core.shared_output_axons: one flag per output-sharing key (none when nothing shares), all clear.
std::vector<uint8_t> output_key_flags(const MappingIndex& index) {
  return std::vector<uint8_t>(index.output_class.empty() ? 0 : index.neurons(), 0);
}

// Walks one core's compartments in segment order, calling visit(g, shared) with g the neuron's network-wide
// index and `shared` true when an earlier compartment of the core holds the same sharing key's output range
// (the first one holds it). `held` (output_key_flags) is clear before and after.
template <class Visit>
void walk_output_holders(const MappingIndex& index, const std::vector<CoreSegment>& segs, std::vector<uint8_t>& held,
                         Visit&& visit) {
  for (const CoreSegment& s : segs)
    for (uint64_t i = s.first; i < s.first + s.count; ++i) {
      bool shared = false;
      if (index.shares_output(s.population)) {
        uint8_t& h = held[index.output_share_key(s.population, i)];
        shared = h != 0;
        h = 1;
      }
      visit(index.offset[s.population] + i, shared);
    }
  for (const CoreSegment& s : segs)
    if (index.shares_output(s.population))
      for (uint64_t i = s.first; i < s.first + s.count; ++i) held[index.output_share_key(s.population, i)] = 0;
}

void count_shared_outputs(const MappingIndex& index, const Partition& part, RoutingCount& count) {
  count.out_charge = count.out_need;
  count.per_core.assign(part.cores.size(), 0);
  std::vector<uint8_t> held = output_key_flags(index);
  for (uint32_t c = 0; c < part.cores.size(); ++c)
    walk_output_holders(index, part.cores[c].segments, held, [&](uint64_t g, bool shared) {
      if (shared) count.out_charge[g] = 0;
      count.per_core[c] += count.out_charge[g];
    });
}

}  // namespace

RoutingCount count_routing_entries(const MappingIndex& index, const Partition& part, const ChipParams& chip) {
  const Network& net = index.net;
  RoutingCount count;
  count.out_need.assign(index.neurons(), 0);
  std::vector<uint32_t> src_stamp(index.neurons(), 0);  // per global neuron, the core (+ 1) last counted
  auto reach = [&](uint64_t g, uint32_t stamp) {
    if (src_stamp[g] != stamp) {
      src_stamp[g] = stamp;
      ++count.out_need[g];
    }
  };
  std::vector<SynapseFormat> formats;
  auto use_format = [&](const SynapseFormat& f) {
    if (std::find(formats.begin(), formats.end(), f) == formats.end()) formats.push_back(f);
  };
  ConvKernelEntry kern;
  std::vector<uint8_t> reached;
  std::vector<uint32_t> pixels;
  for (uint32_t c = 0; c < part.cores.size(); ++c) {
    const auto& segs = part.cores[c].segments;
    formats.clear();
    for (const CoreSegment& seg : segs)
      for (uint32_t j : index.incoming[seg.population]) {
        const ProjectionView& v = index.views[j];
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
      for (uint32_t j : index.incoming[P]) {
        const ProjectionView& v = index.views[j];
        if (v.kind != ProjKind::SharedConv) continue;
        conv_span(index, segs, s0, s1, j, c, kern, reached);
        use_format(v.format);
        pixels.clear();
        for (uint32_t q = 0; q < v.ch.in_pixels; ++q)
          if (reached[q]) pixels.push_back(q);
        const uint32_t cin = net.populations[net.projections[j].source].shape[0];
        for (uint32_t ci = 0; ci < cin; ++ci) {
          const uint32_t g = v.ch.group_of_input(ci);
          if (std::max(kern.co_lo, g * v.ch.cout_per_group) > std::min(kern.co_hi, (g + 1) * v.ch.cout_per_group - 1))
            continue;
          uint32_t* need = count.out_need.data() + v.src_offset + uint64_t{ci} * v.ch.in_pixels;
          for (uint32_t q : pixels) ++need[q];
        }
      }
      s0 = s1;
    }
    if (formats.size() > kMaxSynapseFormats) fail_formats(net, segs, c);
  }
  count_shared_outputs(index, part, count);
  for (uint32_t c = 0; c < part.cores.size() && count.over_core < 0; ++c)
    if (count.core_outputs(c) > chip.core.output_axons) count.over_core = c;
  return count;
}

void fail_output_axons(const MappingIndex& index, const Partition& part, const RoutingCount& count, uint32_t c,
                       const ChipParams& chip) {
  const auto& segments = part.cores[c].segments;
  const uint64_t need = count.core_outputs(c);
  fail_mapping("core " + std::to_string(c) + " (" + populations_on(index.net, segments) +
                   "): resource output axons: needs " + std::to_string(need) + " output axons, a core has " +
                   std::to_string(chip.core.output_axons) + " (" + core_key("output_axons") + ")",
               sole_population(index.net, segments), "output axons", need, chip.core.output_axons);
}

ChipProgram compile_tables(const MappingIndex& index, const Partition& part, const MeshGeometry& geo) {
  ChipProgram chip;
  chip.geometry = geo;
  chip.cores.resize(std::max<size_t>(geo.cores(), part.cores.size()));  // more only in a round that will fail
  chip.cores_used = static_cast<uint32_t>(part.cores.size());
  chip.max_delay = index.max_delay;
  chip.index_bits = index.index_bits;
  chip.placement.resize(index.net.populations.size());
  chip.tile_channels = part.tile_channels;
  Routed dests;
  for (uint32_t c = 0; c < part.cores.size(); ++c) {
    CoreProgram& core = chip.cores[c];
    core.segments = part.cores[c].segments;
    core.compartments = part.cores[c].compartments;
    for (const auto& s : core.segments) chip.placement[s.population].push_back({c, s});
    compile_discrete(index, core, c, dests);
    compile_conv(index, core, c, dests);
  }
  // Stable counting sort by source neuron (the same order as a stable sort, in linear time).
  std::vector<uint64_t> dbegin(index.neurons() + 1, 0);
  for (const auto& d : dests) ++dbegin[d.first + 1];
  std::partial_sum(dbegin.begin(), dbegin.end(), dbegin.begin());
  {
    Routed sorted(dests.size());
    std::vector<uint64_t> fill(dbegin.begin(), dbegin.end() - 1);
    for (const auto& d : dests) sorted[fill[d.first]++] = d;
    dests.swap(sorted);
  }
  // Output axons: per compartment, in compartment order, its destinations in the order compiled. With
  // sharing, the first compartment of a sharing key on the core holds the range; the others point into it.
  std::vector<uint8_t> held = output_key_flags(index);
  for (uint32_t c = 0; c < part.cores.size(); ++c) {
    CoreProgram& core = chip.cores[c];
    core.out_begin.assign(1, 0);
    if (!held.empty()) core.out_shared.assign(core.compartments, 0);
    walk_output_holders(index, core.segments, held, [&](uint64_t g, bool shared) {
      if (shared) core.out_shared[core.out_begin.size() - 1] = 1;
      for (uint64_t k = dbegin[g]; k < dbegin[g + 1]; ++k) {
        Destination d = dests[k].second;
        locate(d, geo);
        core.out.push_back(d);
      }
      core.out_begin.push_back(static_cast<uint32_t>(core.out.size()));
    });
  }
  return chip;
}

}  // namespace spikemesh
