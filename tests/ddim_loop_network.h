// A small FSDDIM-shaped network for the sampler's tests (kernel-free and on the chip): graded input x
// (1 x 4 x 4, Q8) -> conv 3x3 -> h (2 x 4 x 4 CUBA with a time-embedding bias table) -> conv 1x1 -> out
// (readout, 1 x 4 x 4), plus a skip x -> out; T = 3 and cosine DDIM tables in /metadata; delay balanced
// (D = 2). h keeps its voltage from one timestep to the next (dv = 819): a state left over from another
// call would show in the images.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "delay_balance.h"
#include "network.h"

namespace spikemesh::testing {

inline Network loop_network() {
  Network net;
  Population x;
  x.name = "x";
  x.shape = {1, 4, 4};
  x.kind = NeuronKind::Input;
  x.payload_bits = 16;
  x.payload_frac_bits = 8;
  net.populations.push_back(x);
  Population h;
  h.name = "h";
  h.shape = {2, 4, 4};
  h.params[0].du = 4095;
  h.params[0].dv = 819;
  h.params[0].vth_mant = 20;
  h.params[0].bias_mant = 100;
  h.bias_contexts = 1000;  // a time embedding: a bias per diffusion step and channel
  h.bias_phases = 1;
  h.bias_columns = 2;
  for (uint32_t k = 0; k < 1000; ++k)
    h.bias_table.push_back(static_cast<int16_t>(k % 7 * 40)),
        h.bias_table.push_back(static_cast<int16_t>(300 - k % 5 * 60));
  net.populations.push_back(h);
  Population out;
  out.name = "out";
  out.shape = {1, 4, 4};
  out.kind = NeuronKind::Readout;
  out.params[0].du = 4095;
  net.populations.push_back(out);
  Projection c1;
  c1.name = "x_h";
  c1.source = 0;
  c1.target = 1;
  c1.encoding = Encoding::Conv;
  c1.conv = {3, 3, 1, 1, 1, 1, 1, 1};
  for (int k = 0; k < 2 * 9; ++k) c1.weights.push_back(static_cast<int16_t>((k * 37) % 120 - 50));
  net.projections.push_back(c1);
  Projection c2;
  c2.name = "h_out";
  c2.source = 1;
  c2.target = 2;
  c2.encoding = Encoding::Conv;
  c2.weights = {90, -70};
  net.projections.push_back(c2);
  Projection skip;
  skip.name = "skip";
  skip.source = 0;
  skip.target = 2;
  skip.encoding = Encoding::OneToOne;
  skip.weights = {64};
  net.projections.push_back(skip);
  net.metadata.attributes = {{"input_population", "x"},   {"readout_population", "out"},
                             {"snn_timesteps", "3"},      {"diffusion_timesteps", "1000"},
                             {"readout_frac_bits", "12"}, {"ddim_coeff_frac_bits", "24"}};
  std::vector<int64_t> a, s;
  for (uint32_t t = 0; t < 1000; ++t) {  // any monotone schedule in Q1.30 serves the test
    const double ab = std::pow(std::cos((t / 1000.0 + 0.008) / 1.008 * M_PI / 2), 2);
    a.push_back(std::llround(std::sqrt(ab) * (1 << 30)));
    s.push_back(std::llround(std::sqrt(1 - ab) * (1 << 30)));
  }
  net.metadata.arrays["ddim_sqrt_alpha_bar_q30"] = MetaArray{{1000}, true, a, {}};
  net.metadata.arrays["ddim_sqrt_one_minus_alpha_bar_q30"] = MetaArray{{1000}, true, s, {}};
  balance_delays(net);
  return net;
}

}  // namespace spikemesh::testing
