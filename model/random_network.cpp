// Seeded random networks; see random_network.h.
#include "random_network.h"

#include <random>

namespace spikemesh {
namespace {

using Rng = std::mt19937_64;

int64_t uniform(Rng& rng, int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

CompartmentParams random_params(Rng& rng) {
  CompartmentParams p;
  p.du = static_cast<uint16_t>(uniform(rng, 0, 4095));
  p.dv = static_cast<uint16_t>(uniform(rng, 0, 4095));
  p.vth_mant = static_cast<uint32_t>(uniform(rng, 4, 100));
  p.bias_mant = static_cast<int16_t>(uniform(rng, -100, 1500));
  p.bias_exp = static_cast<uint8_t>(uniform(rng, 0, 4));
  p.refract_delay = static_cast<uint8_t>(uniform(rng, 0, 4));
  p.vmin_exp = static_cast<uint8_t>(uniform(rng, 0, 1) ? 23 : uniform(rng, 0, 16));
  p.vmax_exp = static_cast<uint8_t>(uniform(rng, 0, 3) ? 7 : uniform(rng, 3, 7));  // vmax >= 32767 > threshold
  return p;
}

Population make_population(Rng& rng, const std::string& name, std::vector<uint32_t> shape, NeuronKind kind) {
  Population p;
  p.name = name;
  p.shape = std::move(shape);
  p.kind = kind;
  if (uniform(rng, 0, 1)) {
    p.params.assign(p.size(), CompartmentParams{});
    for (auto& q : p.params) q = random_params(rng);
  } else {
    p.params = {random_params(rng)};
  }
  return p;
}

Projection make_projection(Rng& rng, const Network& net, const std::string& name, uint32_t src, uint32_t dst,
                           Encoding enc, bool delays, ConvGeometry geometry = {}) {
  Projection pr;
  pr.conv = geometry;
  pr.name = name;
  pr.source = src;
  pr.target = dst;
  pr.encoding = enc;
  // Feed-forward projections are mixed or excitatory so that every population sees activity; recurrent
  // ones may also be purely inhibitory.
  pr.format.sign_mode = static_cast<SignMode>(uniform(rng, 1, src == dst ? 3 : 2));
  pr.format.weight_exp = static_cast<int8_t>(uniform(rng, -3, 3));
  pr.format.num_weight_bits = static_cast<uint8_t>(uniform(rng, 0, 2) ? 8 : uniform(rng, 1, 8));
  const uint64_t ns = net.populations[src].size(), nd = net.populations[dst].size();
  uint64_t count = 0;
  switch (enc) {
    case Encoding::Dense:
      count = ns * nd;
      break;
    case Encoding::OneToOne:
      count = nd;
      break;
    case Encoding::Sparse:
      count = std::max<uint64_t>(1, ns * nd / 4);
      for (uint64_t k = 0; k < count; ++k) {
        pr.pre.push_back(static_cast<uint32_t>(uniform(rng, 0, static_cast<int64_t>(ns) - 1)));
        pr.post.push_back(static_cast<uint32_t>(uniform(rng, 0, static_cast<int64_t>(nd) - 1)));
      }
      break;
    case Encoding::Conv: {
      const auto& g = pr.conv;
      count = uint64_t{net.populations[dst].shape[0]} * (net.populations[src].shape[0] / g.groups) * g.kernel_h *
              g.kernel_w;
      break;
    }
  }
  const int lo = mantissa_min(pr.format.sign_mode), hi = mantissa_max(pr.format.sign_mode);
  for (uint64_t k = 0; k < count; ++k) pr.weights.push_back(static_cast<int16_t>(uniform(rng, lo, hi)));
  if (delays && uniform(rng, 0, 1)) {
    pr.delays.clear();
    for (uint64_t k = 0; k < count; ++k) pr.delays.push_back(static_cast<uint8_t>(uniform(rng, 0, 5)));
  } else {
    pr.delays = {static_cast<uint8_t>(delays ? uniform(rng, 0, 3) : 0)};
  }
  return pr;
}

}  // namespace

Network make_random_network(const RandomNetworkParams& rp) {
  Rng rng(rp.seed);
  Network net;
  net.metadata.producer = "spikemesh random_network seed " + std::to_string(rp.seed);
  Population in = make_population(rng, "input", {2, 6, 6}, NeuronKind::Input);
  in.payload_bits = 8;
  in.payload_frac_bits = 3;
  net.populations.push_back(in);
  uint32_t last = 0;
  if (rp.conv) {
    // input (2,6,6) -conv 3x3 pad 1-> c1 (4,6,6) -conv 2x2 stride 2-> c2 (4,3,3)
    //   -upsample 2, conv 3x3 pad 1, groups 2-> c3 (2,6,6)
    net.populations.push_back(make_population(rng, "conv1", {4, 6, 6}, NeuronKind::Cuba));
    net.populations.push_back(make_population(rng, "pool", {4, 3, 3}, NeuronKind::Cuba));
    net.populations.push_back(make_population(rng, "up", {2, 6, 6}, NeuronKind::Cuba));
    if (rp.bias_table) {  // a per-channel table on the first conv map
      Population& c1 = net.populations[1];
      c1.bias_contexts = 2;
      c1.bias_phases = 3;
      c1.bias_columns = c1.shape[0];
      for (uint64_t k = 0; k < uint64_t{2} * 3 * c1.shape[0]; ++k)
        c1.bias_table.push_back(static_cast<int16_t>(uniform(rng, -200, 1500)));
    }
    const ConvGeometry geo[3] = {{3, 3, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 0, 0, 1, 1}, {3, 3, 1, 1, 1, 1, 2, 2}};
    for (uint32_t k = 0; k < 3; ++k) {
      net.projections.push_back(
          make_projection(rng, net, "conv_" + std::to_string(k), k, k + 1, Encoding::Conv, rp.delays, geo[k]));
    }
    last = 3;
  }
  const Encoding encs[3] = {Encoding::Dense, Encoding::Sparse, Encoding::OneToOne};
  for (uint32_t h = 0; h < rp.hidden_populations; ++h) {
    const uint32_t n = static_cast<uint32_t>(uniform(rng, 8, rp.max_neurons));
    Population pop = make_population(rng, "hidden" + std::to_string(h), {n}, NeuronKind::Cuba);
    if (rp.bias_table && h == 0) {
      pop.bias_contexts = 3;
      pop.bias_phases = 2;
      pop.bias_columns = n;
      pop.bias_start = 1;
      for (uint64_t k = 0; k < uint64_t{3} * 2 * n; ++k)
        pop.bias_table.push_back(static_cast<int16_t>(uniform(rng, -500, 2000)));
    }
    net.populations.push_back(pop);
    const uint32_t idx = static_cast<uint32_t>(net.populations.size() - 1);
    Encoding e = encs[h % 2];  // dense or sparse from the previous population
    net.projections.push_back(make_projection(rng, net, "ff" + std::to_string(h), last, idx, e, rp.delays));
    if (rp.recurrent && h % 2 == 1)
      net.projections.push_back(
          make_projection(rng, net, "rec" + std::to_string(h), idx, idx, Encoding::Sparse, rp.delays));
    if (h >= 1 && net.populations[idx - 1].size() == n)
      net.projections.push_back(make_projection(rng, net, "o2o" + std::to_string(h), idx - 1, idx, encs[2], rp.delays));
    last = idx;
  }
  net.populations.push_back(
      make_population(rng, "readout", {static_cast<uint32_t>(uniform(rng, 2, 10))}, NeuronKind::Readout));
  const uint32_t ro = static_cast<uint32_t>(net.populations.size() - 1);
  net.projections.push_back(make_projection(rng, net, "out", last, ro, Encoding::Dense, rp.delays));
  if (rp.conv) net.projections.push_back(make_projection(rng, net, "skip", 0, ro, Encoding::Sparse, rp.delays));
  return net;
}

Stimulus make_random_stimulus(const Network& net, uint32_t timesteps, uint64_t seed, double activity) {
  Rng rng(seed);
  std::bernoulli_distribution fire(activity);
  Stimulus s;
  for (uint32_t p = 0; p < net.populations.size(); ++p) {
    const Population& pop = net.populations[p];
    if (pop.kind != NeuronKind::Input) continue;
    Stimulus::Rows rows{p, timesteps, {}};
    for (uint64_t k = 0; k < uint64_t{timesteps} * pop.size(); ++k)
      rows.payloads.push_back(fire(rng) ? static_cast<int32_t>(uniform(rng, payload_min(pop), payload_max(pop))) : 0);
    s.inputs.push_back(std::move(rows));
  }
  return s;
}

Network make_benchmark_network(uint32_t neurons, uint32_t fanout, uint64_t seed) {
  Rng rng(seed);
  Network net;
  net.metadata.producer = "spikemesh benchmark network";
  Population pop;
  pop.name = "neurons";
  pop.shape = {neurons};
  pop.params.assign(neurons, CompartmentParams{});
  // A bias-driven integrator (dv = 0) with u = q (du = 4095): bias 16 << 8 = 4096 per step against a
  // threshold of 64 * vth_mant in [1024, 1536] gives periods of 16..24 steps, i.e. about 5 % activity;
  // the random mixed-sign synaptic input only jitters the phase.
  for (auto& q : pop.params) {
    q.du = 4095;
    q.dv = 0;
    q.vth_mant = static_cast<uint32_t>(uniform(rng, 1024, 1536));
    q.bias_mant = 16;
    q.bias_exp = 8;
  }
  net.populations.push_back(pop);
  Projection pr;
  pr.name = "recurrent";
  pr.encoding = Encoding::Sparse;
  pr.format = WeightFormat{0, 8, SignMode::Mixed};
  pr.pre.reserve(uint64_t{neurons} * fanout);
  for (uint32_t s = 0; s < neurons; ++s)
    for (uint32_t k = 0; k < fanout; ++k) {
      pr.pre.push_back(s);
      pr.post.push_back(static_cast<uint32_t>(uniform(rng, 0, neurons - 1)));
      pr.weights.push_back(static_cast<int16_t>(uniform(rng, -12, 12)));
    }
  net.projections.push_back(std::move(pr));
  return net;
}

}  // namespace spikemesh
