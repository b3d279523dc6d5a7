// Convolution scatter as a pure function: which output pixels a source pixel reaches, through which
// kernel tap. The mapper expands conv projections with it, and the neurocore walks it per spike when a
// core holds a shared kernel. Geometry as in network.h (torch cross-correlation, nearest upsampling).
#pragma once

#include <cstdint>

#include "network.h"

namespace spikemesh {

// For the source pixel (y, x) calls fn(out_pixel, tap) for every output pixel oy * out_w + ox it reaches,
// with tap = ky * kernel_w + kx. Upsampling by u repeats the pixel at rows y*u..y*u+u-1 and columns
// x*u..x*u+u-1; output (oy, ox) reads the upsampled, padded input at (oy*stride - pad + ky*dilation, ...).
// Two (upsample offset, tap) pairs may reach one output pixel: each is its own synapse (its own tap).
// Only output rows [oy_lo, oy_hi) are visited (a core walks the rows of its band).
template <class Fn>
void for_each_conv_tap_in_rows(const ConvGeometry& g, uint32_t oy_lo, uint32_t oy_hi, uint32_t out_w, uint32_t y,
                               uint32_t x, Fn&& fn) {
  for (uint32_t a = 0; a < g.upsample; ++a)
    for (uint32_t ky = 0; ky < g.kernel_h; ++ky) {
      const int64_t ny = int64_t{y} * g.upsample + a + g.pad_y - int64_t{ky} * g.dilation_y;
      if (ny < 0 || ny % g.stride_y) continue;
      const int64_t oy = ny / g.stride_y;
      if (oy < oy_lo || oy >= oy_hi) continue;
      for (uint32_t b = 0; b < g.upsample; ++b)
        for (uint32_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t nx = int64_t{x} * g.upsample + b + g.pad_x - int64_t{kx} * g.dilation_x;
          if (nx < 0 || nx % g.stride_x) continue;
          const int64_t ox = nx / g.stride_x;
          if (ox >= out_w) continue;
          fn(static_cast<uint64_t>(oy) * out_w + static_cast<uint64_t>(ox), ky * g.kernel_w + kx);
        }
    }
}

template <class Fn>
void for_each_conv_tap(const ConvGeometry& g, uint32_t out_h, uint32_t out_w, uint32_t y, uint32_t x, Fn&& fn) {
  for_each_conv_tap_in_rows(g, 0, out_h, out_w, y, x, fn);
}

// Channel bookkeeping of one conv projection.
struct ConvChannels {
  uint32_t cin_per_group = 1, cout_per_group = 1;
  uint64_t in_pixels = 1, out_pixels = 1;  // H * W of source and target
  uint32_t taps = 1;                       // kernel_h * kernel_w

  static ConvChannels of(const Network& net, const Projection& pr) {
    const auto& s = net.populations[pr.source].shape;
    const auto& d = net.populations[pr.target].shape;
    return {s[0] / pr.conv.groups, d[0] / pr.conv.groups, uint64_t{s[1]} * s[2], uint64_t{d[1]} * d[2],
            pr.conv.kernel_h * pr.conv.kernel_w};
  }
  // Index into the kernel [C_out][C_in / groups][kh][kw] for output channel co and input channel ci.
  uint64_t kernel_index(uint32_t co, uint32_t ci, uint32_t tap) const {
    return (uint64_t{co} * cin_per_group + ci % cin_per_group) * taps + tap;
  }
  uint32_t group_of_input(uint32_t ci) const { return ci / cin_per_group; }
};

}  // namespace spikemesh
