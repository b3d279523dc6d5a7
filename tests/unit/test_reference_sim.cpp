// Reference simulator: a hand-derived raster, delivery timing, every encoding against an independent
// expansion, bias tables, file round trips, and delay balancing.
#include <gtest/gtest.h>

#include <cstdio>

#include "conv_taps.h"
#include "delay_balance.h"
#include "error.h"
#include "network_file.h"
#include "random_network.h"
#include "reference_sim.h"

using namespace spikemesh;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "spikemesh_ref_" + name + "_" + std::to_string(::getpid()) + ".h5";
}

Population pop(const std::string& name, std::vector<uint32_t> shape, NeuronKind kind, CompartmentParams p = {}) {
  Population x;
  x.name = name;
  x.shape = std::move(shape);
  x.kind = kind;
  x.params = {p};
  return x;
}

Projection proj(const std::string& name, uint32_t src, uint32_t dst, Encoding enc, std::vector<int16_t> w,
                uint8_t delay = 0) {
  Projection p;
  p.name = name;
  p.source = src;
  p.target = dst;
  p.encoding = enc;
  p.weights = std::move(w);
  p.delays = {delay};
  return p;
}

CompartmentParams integrator(uint32_t vth_mant) {
  CompartmentParams p;
  p.du = 4095;
  p.dv = 0;
  p.vth_mant = vth_mant;
  return p;
}

std::vector<int> column(const SimResult& r, size_t p, uint64_t n, uint64_t i) {
  std::vector<int> out;
  for (uint32_t t = 0; t < r.timesteps; ++t) out.push_back(r.spikes[p][t * n + i]);
  return out;
}

// The same raster and currents, population by population.
void expect_same_result(const SimResult& a, const SimResult& b) {
  ASSERT_EQ(a.timesteps, b.timesteps);
  ASSERT_EQ(a.spikes.size(), b.spikes.size());
  for (size_t p = 0; p < a.spikes.size(); ++p) {
    EXPECT_EQ(a.spikes[p], b.spikes[p]) << "population " << p;
    EXPECT_EQ(a.currents[p], b.currents[p]) << "population " << p;
  }
  EXPECT_EQ(a.synaptic_events, b.synaptic_events);
}

// Expands a conv projection into an equivalent sparse one by gathering (the reference scatters), an
// independent formulation of the same convolution.
Projection conv_as_sparse(const Network& net, const Projection& c) {
  Projection s = c;
  s.encoding = Encoding::Sparse;
  s.weights.clear();
  s.delays.clear();
  const auto& ss = net.populations[c.source].shape;
  const auto& ds = net.populations[c.target].shape;
  const auto& g = c.conv;
  const uint32_t cin_g = ss[0] / g.groups, cout_g = ds[0] / g.groups;
  for (uint32_t co = 0; co < ds[0]; ++co)
    for (uint32_t oy = 0; oy < ds[1]; ++oy)
      for (uint32_t ox = 0; ox < ds[2]; ++ox)
        for (uint32_t cik = 0; cik < cin_g; ++cik)
          for (uint32_t ky = 0; ky < g.kernel_h; ++ky)
            for (uint32_t kx = 0; kx < g.kernel_w; ++kx) {
              const int64_t uy = int64_t{oy} * g.stride_y - g.pad_y + int64_t{ky} * g.dilation_y,
                            ux = int64_t{ox} * g.stride_x - g.pad_x + int64_t{kx} * g.dilation_x;
              if (uy < 0 || ux < 0 || uy >= int64_t{ss[1]} * g.upsample || ux >= int64_t{ss[2]} * g.upsample) continue;
              const uint32_t ci = (co / cout_g) * cin_g + cik;
              const uint64_t k = ((uint64_t{co} * cin_g + cik) * g.kernel_h + ky) * g.kernel_w + kx;
              s.pre.push_back(
                  static_cast<uint32_t>((uint64_t{ci} * ss[1] + uy / g.upsample) * ss[2] + ux / g.upsample));
              s.post.push_back(static_cast<uint32_t>((uint64_t{co} * ds[1] + oy) * ds[2] + ox));
              s.weights.push_back(c.weights[k]);
              s.delays.push_back(c.delay(k));
            }
  return s;
}

}  // namespace

// in (graded, 1 neuron) -dense w=10-> a (integrator, threshold 640) -one_to_one w=20, delay 2->
// out (readout, bias 3<<1).
// Payload 1 at steps 0, 1, 2 gives a q = 640 at steps 1, 2, 3: v = 640 (equal: no spike), 1280 (spike, v = 0), 640.
// a's spike at step 2 reaches out at 2 + 1 + 2 = 5: out's current is 6, except 6 + 20 * 64 = 1286 at step 5.
TEST(ReferenceSim, HandDerivedThreeNeuronRaster) {
  Network net;
  Population in = pop("in", {1}, NeuronKind::Input);
  in.payload_bits = 4;
  net.populations.push_back(in);
  net.populations.push_back(pop("a", {1}, NeuronKind::Cuba, integrator(10)));
  CompartmentParams ro = integrator(0);
  ro.bias_mant = 3;
  ro.bias_exp = 1;
  net.populations.push_back(pop("out", {1}, NeuronKind::Readout, ro));
  net.projections.push_back(proj("in_a", 0, 1, Encoding::Dense, {10}));
  net.projections.push_back(proj("a_out", 1, 2, Encoding::OneToOne, {20}, 2));
  Stimulus stim;
  stim.inputs.push_back({0, 3, {1, 1, 1}});
  const SimResult r = run_reference(net, stim, 8);
  EXPECT_EQ(column(r, 0, 1, 0), (std::vector<int>{1, 1, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(column(r, 1, 1, 0), (std::vector<int>{0, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(r.currents[2], (std::vector<int32_t>{6, 6, 6, 6, 6, 1286, 6, 6}));
  EXPECT_EQ(r.spike_count, 4u);
  EXPECT_EQ(r.synaptic_events, 4u);
}

TEST(ReferenceSim, SpikeArrivesAtTPlusOnePlusDelayAndNotBefore) {
  for (uint8_t delay : {0, 1, 7, 62}) {
    Network net;
    net.populations.push_back(pop("in", {1}, NeuronKind::Input));
    net.populations.push_back(pop("out", {1}, NeuronKind::Readout, integrator(0)));
    net.projections.push_back(proj("p", 0, 1, Encoding::Dense, {2}, delay));
    Stimulus stim;
    stim.inputs.push_back({0, 4, {0, 0, 0, 1}});  // one spike at step 3
    const SimResult r = run_reference(net, stim, 3 + 1 + delay + 2);
    for (uint32_t t = 0; t < r.timesteps; ++t)
      EXPECT_EQ(r.currents[1][t], t == 3u + 1 + delay ? 128 : 0) << "delay " << int(delay) << " step " << t;
  }
}

TEST(ReferenceSim, GradedPayloadScalesWeight) {
  Network net;
  Population in = pop("in", {2}, NeuronKind::Input);
  in.payload_bits = 8;
  in.payload_frac_bits = 2;
  net.populations.push_back(in);
  net.populations.push_back(pop("out", {1}, NeuronKind::Readout, integrator(0)));
  net.projections.push_back(proj("p", 0, 1, Encoding::Dense, {10, -7}));
  Stimulus stim;
  stim.inputs.push_back({0, 1, {-5, 3}});
  const SimResult r = run_reference(net, stim, 2);
  // floor(640 * -5 / 4) + floor(-384 * 3 / 4) = -800 - 288; (-7 in mixed mode truncates to -6)
  EXPECT_EQ(r.currents[1][1], -800 - 288);
}

TEST(ReferenceSim, StimulusOutOfPayloadRangeIsRejected) {
  Network net;
  Population in = pop("in", {1}, NeuronKind::Input);
  in.payload_bits = 4;  // [-8, 7]
  net.populations.push_back(in);
  Stimulus ok;
  ok.inputs.push_back({0, 2, {-8, 7}});
  EXPECT_NO_THROW(validate_stimulus(net, ok, "s.h5"));
  Stimulus bad;
  bad.inputs.push_back({0, 2, {-8, 8}});
  try {
    validate_stimulus(net, bad, "s.h5");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s.h5: /inputs/in: payload 8 at timestep 1, neuron 0 out of range [-8, 7]"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReferenceSim, ConvScatterEqualsIndependentGather) {
  for (uint64_t seed : {11, 12, 13, 14}) {
    RandomNetworkParams rp;
    rp.seed = seed;
    Network net = make_random_network(rp);
    if (seed >= 13)  // conv1 (3x3 pad 1) dilated by 2 and padded by 2: the same 6x6 map, taps 2 apart
      for (auto& pr : net.projections)
        if (pr.name == "conv_0") pr.conv.dilation_y = pr.conv.dilation_x = 2, pr.conv.pad_y = pr.conv.pad_x = 2;
    validate(net, "dilated");
    Network expanded = net;
    int convs = 0;
    for (auto& pr : expanded.projections)
      if (pr.encoding == Encoding::Conv) pr = conv_as_sparse(net, pr), ++convs;
    ASSERT_EQ(convs, 3);  // plain, strided, and upsampled with groups
    const Stimulus stim = make_random_stimulus(net, 24, seed);
    const SimResult a = run_reference(net, stim, 24), b = run_reference(expanded, stim, 24);
    expect_same_result(a, b);
    EXPECT_GT(a.spike_count, 100u) << "the comparison needs activity";
  }
}

// A 3x3 kernel dilated by (2, 1) over a 5x3 map, no padding: output 1x1, reading rows 0, 2, 4 and columns
// 0, 1, 2. Pixel (2, 1) is tap (1, 1) = 4; (4, 0) is tap (2, 0) = 6; rows 1 and 3 fall between the taps.
TEST(ConvTaps, DilationSpacesTheTapsApart) {
  ConvGeometry g;
  g.kernel_h = g.kernel_w = 3;
  g.dilation_y = 2;
  ASSERT_EQ(conv_out_size(5, 1, 0, 3, 1, 2), 1);
  ASSERT_EQ(conv_out_size(3, 1, 0, 3, 1, 1), 1);
  auto taps = [&](uint32_t y, uint32_t x) {
    std::vector<std::pair<uint64_t, uint32_t>> out;
    for_each_conv_tap(g, 1, 1, y, x, [&](uint64_t pix, uint32_t tap) { out.emplace_back(pix, tap); });
    return out;
  };
  EXPECT_EQ(taps(2, 1), (std::vector<std::pair<uint64_t, uint32_t>>{{0, 4}}));
  EXPECT_EQ(taps(4, 0), (std::vector<std::pair<uint64_t, uint32_t>>{{0, 6}}));
  EXPECT_EQ(taps(0, 2), (std::vector<std::pair<uint64_t, uint32_t>>{{0, 2}}));
  EXPECT_TRUE(taps(1, 1).empty());
  EXPECT_TRUE(taps(3, 0).empty());
  // Padding 2 and stride 1 on the same map: the dilated kernel's extent 5 gives 5 output rows; pixel (2, 1)
  // is read by rows 4, 2, 0 through kernel rows 0, 1, 2 (output row oy reads input row oy - 2 + 2 ky).
  g.pad_y = 2;
  std::vector<std::pair<uint64_t, uint32_t>> got;
  for_each_conv_tap(g, 5, 1, 2, 1, [&](uint64_t pix, uint32_t tap) { got.emplace_back(pix, tap); });
  EXPECT_EQ(got, (std::vector<std::pair<uint64_t, uint32_t>>{{4, 1}, {2, 4}, {0, 7}}));
}

TEST(ReferenceSim, DenseEqualsSparseWithAllPairsAndOneToOneEqualsDiagonal) {
  RandomNetworkParams rp;
  rp.seed = 5;
  rp.conv = false;
  const Network net = make_random_network(rp);
  Network alt = net;
  for (auto& pr : alt.projections) {
    const uint64_t ns = net.populations[pr.source].size(), nd = net.populations[pr.target].size();
    if (pr.encoding == Encoding::Dense) {
      Projection s = pr;
      s.encoding = Encoding::Sparse;
      for (uint64_t d = 0; d < nd; ++d)
        for (uint64_t k = 0; k < ns; ++k) s.pre.push_back(uint32_t(k)), s.post.push_back(uint32_t(d));
      pr = s;
    } else if (pr.encoding == Encoding::OneToOne) {
      Projection s = pr;
      s.encoding = Encoding::Sparse;
      s.weights.clear();
      for (uint64_t i = 0; i < nd; ++i)
        s.pre.push_back(uint32_t(i)), s.post.push_back(uint32_t(i)),
            s.weights.push_back(pr.weights[pr.weights.size() == 1 ? 0 : i]);
      if (pr.delays.size() != 1) s.delays = pr.delays;
      pr = s;
    }
  }
  const Stimulus stim = make_random_stimulus(net, 32, 9);
  expect_same_result(run_reference(net, stim, 32), run_reference(alt, stim, 32));
}

TEST(ReferenceSim, RandomNetworkFromFileGivesSameRasterAsBuiltDirectly) {
  for (uint64_t seed : {21, 22, 23}) {
    RandomNetworkParams rp;
    rp.seed = seed;
    const Network net = make_random_network(rp);
    const Stimulus stim = make_random_stimulus(net, 40, seed + 100);
    const std::string np = temp_path("net"), sp = temp_path("stim"), rpath = temp_path("raster");
    write_network(net, np);
    write_stimulus(net, stim, sp);
    const Network back = read_network(np);
    const SimResult direct = run_reference(net, stim, 40, 1);
    const SimResult loaded = run_reference(back, read_stimulus(back, sp), 40, 1);
    expect_same_result(direct, loaded);
    write_result(loaded, rpath);
    expect_same_result(direct, read_result(rpath));
    std::remove(np.c_str());
    std::remove(sp.c_str());
    std::remove(rpath.c_str());
    // Every feature is exercised: each CUBA population fires, and the readout sees input.
    for (size_t p = 0; p < net.populations.size(); ++p) {
      uint64_t spikes = 0;
      for (auto s : direct.spikes[p]) spikes += s;
      if (net.populations[p].kind != NeuronKind::Readout) {
        EXPECT_GT(spikes, 0u) << net.populations[p].name << " seed " << seed;
      }
    }
  }
}

TEST(ReferenceSim, BiasTableSelectsContextPhaseAndStart) {
  Network net;
  Population ro = pop("out", {2, 1, 1}, NeuronKind::Readout, integrator(0));
  ro.params[0].bias_exp = 2;
  ro.bias_contexts = 2;
  ro.bias_phases = 3;
  ro.bias_columns = 2;  // per channel
  ro.bias_start = 1;
  // [context][phase][channel]
  ro.bias_table = {1, 2, 3, 4, 5, 6, /* context 1 */ 10, 20, 30, 40, 50, 60};
  net.populations.push_back(ro);
  const SimResult r = run_reference(net, Stimulus{}, 6, 1);
  // Step 0 is before bias_start; steps 1, 2, 3 use phases 0, 1, 2; later steps stay on the last phase.
  EXPECT_EQ(r.currents[0], (std::vector<int32_t>{0, 0, 40, 80, 120, 160, 200, 240, 200, 240, 200, 240}));
  const SimResult past = run_reference(net, Stimulus{}, 2, 7);  // a context past the end clamps to the last
  EXPECT_EQ(past.currents[0], (std::vector<int32_t>{0, 0, 40, 80}));
}

TEST(ReferenceSim, ResetClearsStateAndPendingInput) {
  Network net;
  net.populations.push_back(pop("in", {1}, NeuronKind::Input));
  net.populations.push_back(pop("out", {1}, NeuronKind::Readout, integrator(0)));
  net.projections.push_back(proj("p", 0, 1, Encoding::Dense, {1}, 3));
  ReferenceSimulator sim(net);
  const int32_t one = 1;
  sim.set_input(0, &one);
  sim.step();
  sim.reset();
  for (int t = 0; t < 6; ++t) {
    sim.step();
    EXPECT_EQ(sim.currents(1)[0], 0) << "step " << t;
  }
  EXPECT_EQ(sim.timestep(), 6u);
}

// in -> a -> b -> out, with a skip in -> out and a residual a -> out: depths 0, 1, 2, 3.
TEST(DelayBalance, SkipAndResidualPathsGetEqualLength) {
  Network net;
  net.populations.push_back(pop("in", {2}, NeuronKind::Input));
  net.populations.push_back(pop("a", {2}, NeuronKind::Cuba, integrator(1)));
  net.populations.push_back(pop("b", {2}, NeuronKind::Cuba, integrator(1)));
  net.populations.push_back(pop("out", {2}, NeuronKind::Readout, integrator(0)));
  net.projections.push_back(proj("in_a", 0, 1, Encoding::OneToOne, {100}));
  net.projections.push_back(proj("a_b", 1, 2, Encoding::OneToOne, {100}));
  net.projections.push_back(proj("b_out", 2, 3, Encoding::OneToOne, {100}));
  net.projections.push_back(proj("skip", 0, 3, Encoding::OneToOne, {50}));
  net.projections.push_back(proj("residual", 1, 3, Encoding::OneToOne, {25}));
  net.projections.push_back(proj("self", 2, 2, Encoding::OneToOne, {-10}, 4));
  const BalanceReport rep = balance_delays(net);
  EXPECT_EQ(rep.depth, 3u);
  EXPECT_EQ(rep.population_depth, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(rep.projection_delay, (std::vector<uint32_t>{0, 0, 0, 2, 1, 4}));  // the self-loop keeps its delay
  EXPECT_EQ(net.populations[3].bias_start, 3u);
  EXPECT_EQ(net.metadata.attributes.at("pipeline_depth"), "3");
  // Idempotent.
  const BalanceReport again = balance_delays(net);
  EXPECT_EQ(again.projection_delay, rep.projection_delay);
  EXPECT_EQ(again.depth, 3u);

  // All three paths now deliver one input spike to the readout on the same step, 3 steps later.
  Stimulus stim;
  stim.inputs.push_back({0, 1, {1, 0}});
  const SimResult r = run_reference(net, stim, 6);
  for (uint32_t t = 0; t < 6; ++t) EXPECT_EQ(r.currents[3][t * 2], t == 3 ? (50 + 100 + 24) * 64 : 0) << "step " << t;
}

TEST(DelayBalance, NeededDelayAboveHardwareMaximumIsNamed) {
  Network net;
  net.populations.push_back(pop("in", {1}, NeuronKind::Input));
  for (int k = 1; k <= 64; ++k) {
    net.populations.push_back(pop("l" + std::to_string(k), {1}, NeuronKind::Cuba, integrator(1)));
    net.projections.push_back(proj("c" + std::to_string(k), k - 1, k, Encoding::Dense, {1}));
  }
  net.projections.push_back(proj("long_skip", 0, 64, Encoding::Dense, {1}));
  try {
    balance_delays(net);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'long_skip' from 'in' to 'l64'): needs a synaptic delay of 63 timesteps"),
              std::string::npos)
        << e.what();
  }
}

TEST(DelayBalance, CycleIsRefusedWithTheProjection) {
  Network net;
  net.populations.push_back(pop("a", {1}, NeuronKind::Cuba, integrator(1)));
  net.populations.push_back(pop("b", {1}, NeuronKind::Cuba, integrator(1)));
  net.projections.push_back(proj("ab", 0, 1, Encoding::Dense, {1}));
  net.projections.push_back(proj("ba", 1, 0, Encoding::Dense, {1}));
  EXPECT_THROW(balance_delays(net), Error);
}

// Bias gating: in -> a (static bias) -> b (bias table) -> out, with a skip in -> out; T = 3.
TEST(DelayBalance, BiasGatingKeepsTheWindowAndSilencesTheTail) {
  Network net;
  Population in = pop("in", {2}, NeuronKind::Input);
  in.payload_bits = 8;
  net.populations.push_back(in);
  CompartmentParams pa = integrator(10);
  pa.dv = 800;
  pa.bias_mant = 300;
  net.populations.push_back(pop("a", {2}, NeuronKind::Cuba, pa));
  Population b = pop("b", {2}, NeuronKind::Cuba, pa);
  b.bias_contexts = 2;
  b.bias_phases = 2;
  b.bias_columns = 2;
  b.bias_table = {100, 200, 300, 400, 500, 600, 700, 800};
  net.populations.push_back(b);
  net.populations.push_back(pop("out", {2}, NeuronKind::Readout, integrator(0)));
  net.projections.push_back(proj("in_a", 0, 1, Encoding::OneToOne, {40}));
  net.projections.push_back(proj("a_b", 1, 2, Encoding::OneToOne, {60}));
  net.projections.push_back(proj("b_out", 2, 3, Encoding::OneToOne, {80}));
  net.projections.push_back(proj("skip", 0, 3, Encoding::OneToOne, {20}));
  const uint32_t D = balance_delays(net).depth, T = 3;
  ASSERT_EQ(D, 3u);
  Network gated = net;
  EXPECT_EQ(gate_bias_after_window(gated, T), 2u);  // a and b; the input and the bias-free readout stay
  EXPECT_EQ(gated.populations[1].bias_phases, T + 1);
  EXPECT_EQ(gated.populations[2].bias_table[(1 * (T + 1) + 2) * 2 + 1], 800);  // context 1, phase 2 repeats phase 1
  EXPECT_EQ(gated.populations[2].bias_table[(1 * (T + 1) + 3) * 2 + 1], 0);    // then off
  Network twice = gated;
  EXPECT_EQ(gate_bias_after_window(twice, T), 0u);  // idempotent
  Stimulus stim;
  stim.inputs.push_back({0, T, {5, -3, 7, 2, -1, 4}});
  const uint32_t steps = D + T + 10;
  const SimResult r0 = run_reference(net, stim, steps, 1), r1 = run_reference(gated, stim, steps, 1);
  for (uint32_t t = D; t < D + T; ++t)
    for (uint32_t i = 0; i < 2; ++i) EXPECT_EQ(r0.currents[3][t * 2 + i], r1.currents[3][t * 2 + i]) << t;
  EXPECT_LT(r1.spike_count, r0.spike_count);
}

// A static bias that is the same over each channel's pixels (a conv layer's folded bias) is gated through
// one table column per channel; a bias that varies within a channel keeps one column per neuron.
TEST(DelayBalance, BiasGatingUsesOneColumnPerChannelWhenTheBiasIsPerChannel) {
  Network net;
  net.populations.push_back(pop("in", {2, 1, 3}, NeuronKind::Input));
  CompartmentParams q = integrator(10);
  Population a = pop("a", {2, 1, 3}, NeuronKind::Cuba, q);
  a.params.assign(6, q);  // per-neuron parameters
  for (uint64_t i = 0; i < 6; ++i) a.params[i].bias_mant = i < 3 ? 40 : -25;
  Population b = a;
  b.name = "b";
  b.params[4].bias_mant = 7;  // varies within channel 1
  net.populations.push_back(a);
  net.populations.push_back(b);
  const uint32_t T = 2;
  EXPECT_EQ(gate_bias_after_window(net, T), 2u);
  const Population& ga = net.populations[1];
  EXPECT_EQ(ga.bias_columns, 2u);
  EXPECT_EQ(ga.bias_table, (std::vector<int16_t>{40, -25, 40, -25, 0, 0}));
  EXPECT_EQ(ga.bias_mant_at(0, 1, ga.bias_column(4)), -25);
  EXPECT_EQ(ga.bias_mant_at(0, 2, ga.bias_column(4)), 0);
  EXPECT_EQ(net.populations[2].bias_columns, 6u);
  EXPECT_EQ(net.populations[2].bias_mant_at(0, 0, net.populations[2].bias_column(4)), 7);
}

// in -> out (readout, du = 0: the current keeps 4095/4096 of itself each step), mantissa 2 = 128 per spike;
// the input fires at steps 0 and 1, arriving at 1 and 2. Without a reset: 128, 127 + 128, 254, 253, 252.
// With a periodic reset every 3 steps from step 2, u is zeroed before step 2's update but step 2's input
// (already in its delay slot) still counts: 128, then 0 + 128, 127, 126, and at step 5 zero again.
TEST(ReferenceSim, PeriodicResetZeroesStateBeforeTheUpdateAndKeepsTheStepsInput) {
  Network net;
  net.populations.push_back(pop("in", {1}, NeuronKind::Input));
  CompartmentParams slow;
  slow.du = 0;
  net.populations.push_back(pop("out", {1}, NeuronKind::Readout, slow));
  net.projections.push_back(proj("p", 0, 1, Encoding::Dense, {2}));
  Stimulus stim;
  stim.inputs.push_back({0, 2, {1, 1}});
  EXPECT_EQ(run_reference(net, stim, 6).currents[1], (std::vector<int32_t>{0, 128, 255, 254, 253, 252}));
  net.populations[1].reset_interval = 3;
  net.populations[1].reset_offset = 2;
  EXPECT_EQ(run_reference(net, stim, 6).currents[1], (std::vector<int32_t>{0, 128, 128, 127, 126, 0}));
}

// Pipelined calls: a population's bias follows its own (context, timestep), and is 0 with no call.
TEST(ReferenceSim, BiasTimesSelectEachPopulationsCallOrNone) {
  Network net;
  Population ro = pop("out", {1}, NeuronKind::Readout, integrator(0));
  ro.bias_contexts = 2;
  ro.bias_phases = 2;
  ro.bias_columns = 1;
  ro.bias_start = 1;
  ro.bias_table = {1, 2, /* context 1 */ 10, 20};
  net.populations.push_back(ro);
  ReferenceSimulator sim(net);
  EXPECT_THROW(sim.set_bias_times({{}, {}}), Error);  // one per population
  std::vector<int32_t> got;
  for (const BiasTime bt : {BiasTime{true, 1, 2}, BiasTime{}, BiasTime{true, 0, 1}, BiasTime{true, 1, 0}}) {
    sim.set_bias_times({bt});
    sim.step();
    got.push_back(sim.currents(0)[0]);
  }
  // context 1 phase 1 (t 2 - bias_start 1); none; context 0 phase 0; before bias_start. du = 4095: u = q = 0.
  EXPECT_EQ(got, (std::vector<int32_t>{20, 0, 1, 0}));
}
