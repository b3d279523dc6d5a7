// Every synapse of a projection as a (source neuron, target neuron) pair, conv expanded: what the mapping
// tests check the compiled routing tables against.
#pragma once

#include <cstdint>

#include "conv_taps.h"
#include "network.h"

namespace spikemesh::testing {

// Calls fn(source neuron, target neuron) for every synapse of a projection.
template <class Fn>
void for_each_pair(const Network& net, const Projection& pr, Fn&& fn) {
  const uint64_t ns = net.populations[pr.source].size(), nd = net.populations[pr.target].size();
  switch (pr.encoding) {
    case Encoding::Dense:
      for (uint64_t t = 0; t < nd; ++t)
        for (uint64_t s = 0; s < ns; ++s) fn(s, t);
      break;
    case Encoding::Sparse:
      for (size_t k = 0; k < pr.pre.size(); ++k) fn(pr.pre[k], pr.post[k]);
      break;
    case Encoding::OneToOne:
      for (uint64_t i = 0; i < ns; ++i) fn(i, i);
      break;
    case Encoding::Conv: {
      const ConvChannels ch = ConvChannels::of(net, pr);
      const auto& ss = net.populations[pr.source].shape;
      const auto& ds = net.populations[pr.target].shape;
      for (uint64_t s = 0; s < ns; ++s) {
        const uint32_t ci = static_cast<uint32_t>(s / ch.in_pixels);
        const uint32_t y = static_cast<uint32_t>((s % ch.in_pixels) / ss[2]), x = static_cast<uint32_t>(s % ss[2]);
        const uint32_t g = ch.group_of_input(ci);
        for_each_conv_tap(pr.conv, ds[1], ds[2], y, x, [&](uint64_t pix, uint32_t) {
          for (uint32_t co = g * ch.cout_per_group; co < (g + 1) * ch.cout_per_group; ++co)
            fn(s, co * ch.out_pixels + pix);
        });
      }
      break;
    }
  }
}

}  // namespace spikemesh::testing
