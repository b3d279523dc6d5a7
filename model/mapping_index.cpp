// The mapper's read-only view of the network: offsets, incoming projections, synapse formats and reverse
// synapse lists; see mapping_index.h.
#include "mapping_index.h"

#include <algorithm>
#include <numeric>

namespace spikemesh {
namespace {

// Calls fn(source, target, weight index) for every synapse of a sparse, one-to-one or (expanded) conv projection.
template <class Fn>
void for_each_synapse(const Network& net, const Projection& pr, const ProjectionView& v, Fn&& fn) {
  switch (pr.encoding) {
    case Encoding::Sparse:
      for (uint64_t k = 0; k < pr.pre.size(); ++k) fn(pr.pre[k], pr.post[k], k);
      break;
    case Encoding::OneToOne:
      for (uint64_t i = 0; i < v.ns; ++i) fn(i, i, pr.weights.size() == 1 ? 0 : i);
      break;
    case Encoding::Conv: {
      const auto& ds = net.populations[pr.target].shape;
      const auto& ss = net.populations[pr.source].shape;
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
    case Encoding::Dense:
      break;
  }
}

void build_reverse(const Network& net, const Projection& pr, ProjectionView& v) {
  v.rbegin.assign(v.nd + 1, 0);
  for_each_synapse(net, pr, v, [&](uint64_t, uint64_t t, uint64_t) { ++v.rbegin[t + 1]; });
  std::partial_sum(v.rbegin.begin(), v.rbegin.end(), v.rbegin.begin());
  v.rsrc.resize(v.rbegin.back());
  v.rk.resize(v.rbegin.back());
  std::vector<uint64_t> fill(v.rbegin.begin(), v.rbegin.end() - 1);
  for_each_synapse(net, pr, v, [&](uint64_t s, uint64_t t, uint64_t k) {
    v.rsrc[fill[t]] = static_cast<uint32_t>(s);
    v.rk[fill[t]++] = k;
  });
}

void build_pixel_reverse(const Network& net, const Projection& pr, ProjectionView& v) {
  const auto& ds = net.populations[pr.target].shape;
  const auto& ss = net.populations[pr.source].shape;
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> lists(v.ch.out_pixels);  // (source pixel, taps)
  for (uint32_t q = 0; q < v.ch.in_pixels; ++q)
    for_each_conv_tap(pr.conv, ds[1], ds[2], q / ss[2], q % ss[2], [&](uint64_t pix, uint32_t) {
      auto& l = lists[pix];
      if (l.empty() || l.back().first != q)
        l.emplace_back(q, 1);
      else
        ++l.back().second;
    });
  v.pbegin.assign(v.ch.out_pixels + 1, 0);
  for (uint64_t p = 0; p < v.ch.out_pixels; ++p) {
    v.pbegin[p + 1] = v.pbegin[p] + lists[p].size();
    for (const auto& [q, taps] : lists[p]) {
      v.psrc.push_back(q);
      v.ptaps.push_back(taps);
    }
  }
}

}  // namespace

MappingIndex::MappingIndex(const Network& net_, const ChipParams& chip) : net(net_) {
  index_bits = std::max<uint8_t>(1, bits_for(chip.core.compartments - 1));
  offset = population_offsets(net);
  incoming.assign(net.populations.size(), {});
  views.resize(net.projections.size());
  for (uint32_t j = 0; j < net.projections.size(); ++j) {
    const Projection& pr = net.projections[j];
    incoming[pr.target].push_back(j);
    ProjectionView& v = views[j];
    v.ns = net.populations[pr.source].size();
    v.nd = net.populations[pr.target].size();
    v.src_offset = offset[pr.source];
    uint32_t proj_max_delay = 0;
    for (auto d : pr.delays) proj_max_delay = std::max<uint32_t>(proj_max_delay, d);
    max_delay = std::max(max_delay, proj_max_delay);
    v.format.weight = pr.format;
    v.format.weight_bits = stored_weight_bits(pr.format);
    v.format.delay_bits = bits_for(proj_max_delay);
    v.format.index_bits = index_bits;
    switch (pr.encoding) {
      case Encoding::Dense:
        v.kind = ProjKind::Dense;
        v.format.layout = BlockLayout::Dense;
        break;
      case Encoding::Sparse:
      case Encoding::OneToOne:
        v.kind = ProjKind::SparseLike;
        v.format.layout = BlockLayout::Sparse;
        build_reverse(net, pr, v);
        break;
      case Encoding::Conv:
        v.ch = ConvChannels::of(net, pr);
        if (chip.core.shared_conv_kernels) {
          v.kind = ProjKind::SharedConv;
          v.format.layout = BlockLayout::Dense;
          build_pixel_reverse(net, pr, v);
        } else {
          v.kind = ProjKind::SparseLike;
          v.format.layout = BlockLayout::Sparse;
          build_reverse(net, pr, v);
        }
        break;
    }
  }
  if (chip.core.shared_output_axons) classify_output_sharing(chip);
}

// A population shares output axons when every projection out of it is a shared-kernel conv: a spike then
// goes only to population axons (one per source pixel and kernel), so the channels of one pixel reach the
// same (core, axon) list, except that a grouped conv reaches only the kernels of the channel's group. The
// class of a channel is its tuple of groups over the outgoing projections, numbered in order of first use.
void MappingIndex::classify_output_sharing(const ChipParams& chip) {
  if (!chip.core.shared_conv_kernels)
    throw Error(core_key("shared_output_axons") + ": needs " + core_key("shared_conv_kernels") +
                " (output axons are shared only by compartments sending to population axons)");
  std::vector<std::vector<uint32_t>> outgoing(net.populations.size());
  for (uint32_t j = 0; j < net.projections.size(); ++j) outgoing[net.projections[j].source].push_back(j);
  output_class.assign(net.populations.size(), {});
  for (uint32_t P = 0; P < net.populations.size(); ++P) {
    bool all_conv = !outgoing[P].empty();
    for (uint32_t j : outgoing[P]) all_conv = all_conv && views[j].kind == ProjKind::SharedConv;
    if (!all_conv) continue;
    const uint32_t C = net.populations[P].shape[0];
    std::vector<std::vector<uint32_t>> tuples;
    auto& cls = output_class[P];
    cls.resize(C);
    for (uint32_t ci = 0; ci < C; ++ci) {
      std::vector<uint32_t> t;
      for (uint32_t j : outgoing[P]) t.push_back(views[j].ch.group_of_input(ci));
      const auto it = std::find(tuples.begin(), tuples.end(), t);
      cls[ci] = static_cast<uint32_t>(it - tuples.begin());
      if (it == tuples.end()) tuples.push_back(std::move(t));
    }
  }
}

uint32_t MappingIndex::population_of(uint64_t global) const {
  return static_cast<uint32_t>(std::upper_bound(offset.begin(), offset.end(), global) - offset.begin() - 1);
}

uint64_t MappingIndex::pixels_of(uint32_t population) const {
  return uint64_t{net.populations[population].shape[1]} * net.populations[population].shape[2];
}

std::string core_key(const char* field) { return std::string("chip.core.") + field; }

void fail_mapping(const std::string& msg, const std::string& population, const std::string& resource, uint64_t need,
                  uint64_t capacity) {
  throw MappingError("mapping: " + msg, population, resource, need, capacity);
}

}  // namespace spikemesh
