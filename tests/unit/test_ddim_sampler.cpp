// Fixed-point DDIM sampler: strided times, integer coefficients against the real ones, the update's
// rounding and saturation, and the loop's timing on a balanced network (inputs at 0..T-1, readouts at D..D+T-1).
#include <gtest/gtest.h>

#include <cmath>

#include "../ddim_loop_network.h"
#include "ddim_sampler.h"
#include "delay_balance.h"
#include "error.h"

using namespace spikemesh;

namespace {

// Cosine schedule (s = 0.008, betas clipped at 0.999) in Q1.30, as the FSDDIM exporter writes it.
void cosine_tables(DdimSchedule& s, uint32_t K) {
  std::vector<double> ac(K + 1);
  for (uint32_t i = 0; i <= K; ++i) ac[i] = std::pow(std::cos((double(i) / K + 0.008) / 1.008 * M_PI / 2), 2);
  double ab = 1.0;
  for (uint32_t t = 0; t < K; ++t) {
    ab *= 1.0 - std::min(0.999, std::max(0.0, 1.0 - (ac[t + 1] / ac[0]) / (ac[t] / ac[0])));
    s.sqrt_alpha_bar_q30.push_back(std::llround(std::sqrt(ab) * (1 << 30)));
    s.sqrt_one_minus_alpha_bar_q30.push_back(std::llround(std::sqrt(1 - ab) * (1 << 30)));
  }
  s.diffusion_timesteps = K;
}

DdimSchedule schedule() {
  DdimSchedule s;
  cosine_tables(s, 1000);
  s.coeff_frac_bits = 24;
  s.payload_frac_bits = 8;
  s.payload_bits = 16;
  s.readout_frac_bits = 12;
  s.snn_timesteps = 3;
  return s;
}

}  // namespace

TEST(Ddim, StridedTimesWalkDownToMinusOne) {
  const auto four = ddim_times(1000, 4);
  EXPECT_EQ(four, (std::vector<std::pair<int32_t, int32_t>>{{999, 749}, {749, 499}, {499, 249}, {249, -1}}));
  const auto three = ddim_times(1000, 3);  // -1 + floor(i * 1000 / 3): -1, 332, 665, 999
  EXPECT_EQ(three, (std::vector<std::pair<int32_t, int32_t>>{{999, 665}, {665, 332}, {332, -1}}));
  const auto all = ddim_times(1000, 1000);
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(all.front(), std::make_pair(999, 998));
  EXPECT_EQ(all.back(), std::make_pair(0, -1));
  EXPECT_THROW(ddim_times(1000, 0), Error);
  EXPECT_THROW(ddim_times(1000, 1001), Error);
}

TEST(Ddim, PlanPairsStridedTimesWithTheirBiasContexts) {
  DdimSchedule s = schedule();
  const DdimPlan all = plan_ddim(s, 4);  // every diffusion step exported: context k is step k
  ASSERT_EQ(all.size(), 4u);
  for (uint32_t d = 0; d < 4; ++d) {
    EXPECT_EQ(std::make_pair(all[d].t, all[d].t_prev), ddim_times(1000, 4)[d]);
    EXPECT_EQ(all[d].context, static_cast<uint32_t>(all[d].t));
  }
  s.context_times = {249, 499, 665, 749, 999};  // an export that kept only some steps' time embeddings
  const DdimPlan some = plan_ddim(s, 4);
  EXPECT_EQ(some[0].context, 4u);
  EXPECT_EQ(some[1].context, 3u);
  EXPECT_EQ(some[2].context, 1u);
  EXPECT_EQ(some[3].context, 0u);
  EXPECT_EQ(some[3].t_prev, -1);
  EXPECT_EQ(plan_ddim(s, 2)[1].context, 1u);  // S = 2 needs steps 999 and 499: both exported
  EXPECT_THROW(plan_ddim(s, 3), Error);       // S = 3 needs step 332: not exported
  EXPECT_THROW(plan_ddim(s, 0), Error);
}

TEST(Ddim, CoefficientsMatchRealArithmeticToOneUlp) {
  const DdimSchedule s = schedule();
  for (auto [t, tp] : ddim_times(1000, 10)) {
    const auto c = ddim_coefficients(s, t, tp);
    const double at = s.sqrt_alpha_bar_q30[t] / double(1 << 30),
                 st = s.sqrt_one_minus_alpha_bar_q30[t] / double(1 << 30);
    const double ap = tp < 0 ? 1.0 : s.sqrt_alpha_bar_q30[tp] / double(1 << 30);
    const double sp = tp < 0 ? 0.0 : s.sqrt_one_minus_alpha_bar_q30[tp] / double(1 << 30);
    EXPECT_NEAR(c.a, (ap * at + sp * st) * (1 << 24), 0.5 + 1e-6) << t;
    EXPECT_NEAR(c.b, (sp * at - ap * st) * (1 << 24), 0.5 + 1e-6) << t;
  }
  // The last step gives x0 = a_t x - s_t v exactly: A = a_t, B = -s_t (rounded to Q24).
  const auto last = ddim_coefficients(s, 0, -1);
  EXPECT_EQ(last.a, round_shift(s.sqrt_alpha_bar_q30[0] << 30, 36));
  EXPECT_EQ(last.b, round_shift(-(s.sqrt_one_minus_alpha_bar_q30[0] << 30), 36));
}

TEST(Ddim, UpdateRoundsHalfUpAndSaturates) {
  DdimSchedule s = schedule();
  s.coeff_frac_bits = 8;
  s.readout_frac_bits = 0;
  s.payload_frac_bits = 0;
  // A = 0.5, B = 0: x -> round(x / 2), ties up.
  EXPECT_EQ(ddim_update(3, 0, {128, 0}, s), 2);
  EXPECT_EQ(ddim_update(-3, 0, {128, 0}, s), -1);
  EXPECT_EQ(ddim_update(-4, 0, {128, 0}, s), -2);
  // Saturation at 16 bits.
  EXPECT_EQ(ddim_update(0, 40000, {0, 256}, s), 32767);
  EXPECT_EQ(ddim_update(0, -40000, {0, 256}, s), -32768);
  EXPECT_EQ(round_shift(-5, 1), -2);
  EXPECT_EQ(round_shift(5, 1), 3);
}

// x (graded, 2 pixels, Q8) -> relay (CUBA, threshold 0: spikes when its input is positive) -> out, and
// x -> out directly: the readout sees 16 x (w_eff = 64 * 64 over 2^8), plus 256 for every relay spike.
// After balancing, D = 2, so readout step D + tau holds the answer to input tau.
namespace {

// x (2 inputs, 16-bit payloads in Q.8) -> relay -> out, and x -> out directly: the readout is
// 16 x + 256 * [relay fired] (not balanced yet: its pipeline depth is 2 after balance_delays).
Network relay_network() {
  Network net;
  Population x;
  x.name = "x";
  x.shape = {2};
  x.kind = NeuronKind::Input;
  x.payload_bits = 16;
  x.payload_frac_bits = 8;
  net.populations.push_back(x);
  Population relay;
  relay.name = "relay";
  relay.shape = {2};
  relay.params[0].du = 4095;
  relay.params[0].dv = 4095;
  net.populations.push_back(relay);
  Population out;
  out.name = "out";
  out.shape = {2};
  out.kind = NeuronKind::Readout;
  out.params[0].du = 4095;
  net.populations.push_back(out);
  auto o2o = [](uint32_t a, uint32_t b, int16_t w) {
    Projection p;
    p.source = a;
    p.target = b;
    p.encoding = Encoding::OneToOne;
    p.weights = {w};
    return p;
  };
  net.projections.push_back(o2o(0, 2, 64));
  net.projections.push_back(o2o(0, 1, 2));
  net.projections.push_back(o2o(1, 2, 4));  // each relay spike adds w_eff = 4 * 64 = 256 to the readout
  net.metadata.attributes = {{"input_population", "x"},   {"readout_population", "out"},
                             {"snn_timesteps", "3"},      {"diffusion_timesteps", "1000"},
                             {"readout_frac_bits", "12"}, {"ddim_coeff_frac_bits", "24"}};
  DdimSchedule ref = schedule();
  net.metadata.arrays["ddim_sqrt_alpha_bar_q30"] = MetaArray{{1000}, true, ref.sqrt_alpha_bar_q30, {}};
  net.metadata.arrays["ddim_sqrt_one_minus_alpha_bar_q30"] =
      MetaArray{{1000}, true, ref.sqrt_one_minus_alpha_bar_q30, {}};
  return net;
}

// The relay fires on a timestep whose payload is at least 2 (2 x 64 x / 256 > 0).
constexpr int32_t kRelayFires = 2;

// The readout current for payload v: 16 x + 256 per relay spike (w_eff = 4 * 64).
int32_t relay_readout(int32_t v) {
  return static_cast<int32_t>(floor_shift(int64_t{64 * 64} * v, 8) + (v >= kRelayFires ? 256 : 0));
}

}  // namespace

TEST(Ddim, LoopFeedsTStepsAndReadsAtDepth) {
  Network net = relay_network();
  EXPECT_THROW(read_ddim_schedule(net, "net.h5"), Error);  // not balanced yet: no pipeline_depth
  EXPECT_EQ(balance_delays(net).depth, 2u);
  const DdimSchedule s = read_ddim_schedule(net, "net.h5");
  EXPECT_EQ(s.pipeline_depth, 2u);
  EXPECT_EQ(s.snn_timesteps, 3u);

  // Different payloads per tau and per pixel, so that any mix-up of timesteps shows.
  const std::vector<int32_t> x0 = {300, -200, 0, 77, -5, 1000};
  ReferenceBackend backend(net);
  std::vector<std::vector<int32_t>> traj;
  const auto got = sample_image(backend, s, plan_ddim(s, 2), x0, &traj);
  // The same loop by hand: readout = 16 x + 256 * [x > 0] (relay fires when 2 * 64 * x / 256 > 0, i.e. x >= 2).
  std::vector<int32_t> want = x0;
  for (auto [t, tp] : ddim_times(1000, 2)) {
    const auto c = ddim_coefficients(s, t, tp);
    for (auto& v : want) {
      v = ddim_update(v, relay_readout(v), c, s);
    }
  }
  EXPECT_EQ(got, want);
  ASSERT_EQ(traj.size(), 2u);
  EXPECT_EQ(traj.back(), want);
  EXPECT_EQ(backend.simulator().timestep(), 5u);  // T + D steps of the last DDIM step
}

// The workload's firing rates (chip.mapping.rates: workload): spikes per neuron over the timesteps of the
// population windows (images x DDIM steps x T). By hand: an input neuron spikes on every timestep whose
// payload is nonzero, the relay on every one whose payload is at least 2, the readout never; x walks
// through the DDIM updates as in the loop above.
TEST(Ddim, WorkloadRatesAreSpikesPerWindowTimestep) {
  Network net = relay_network();
  balance_delays(net);
  const DdimSchedule s = read_ddim_schedule(net, "net.h5");
  const DdimPlan plan = plan_ddim(s, 2);
  const uint32_t images = 3;
  std::vector<double> want(6, 0.0);
  for (uint32_t k = 0; k < images; ++k) {
    std::vector<int32_t> x = initial_x(s, 2, 11, k);
    ASSERT_EQ(x.size(), 6u);  // T = 3 copies of x_T
    for (const DdimStep& st : plan) {
      for (uint64_t e = 0; e < x.size(); ++e) {
        want[e % 2] += x[e] != 0;
        want[2 + e % 2] += x[e] >= kRelayFires;
      }
      const auto c = ddim_coefficients(s, st.t, st.t_prev);
      for (auto& v : x) v = ddim_update(v, relay_readout(v), c, s);
    }
  }
  for (double& w : want) w /= images * 2 * 3;
  EXPECT_GT(want[2] + want[3], 0.0);  // the relay fires (and not always: x_T is noise around 0)
  EXPECT_LT(want[2] + want[3], 2.0);
  EXPECT_EQ(ddim_firing_rates(net, s, plan, images, 11), want);
  EXPECT_THROW(ddim_firing_rates(net, s, plan, 0, 11), Error);
}

TEST(Ddim, InitialNoiseIsSeededAndStandard) {
  const DdimSchedule s = schedule();
  const auto a = initial_payloads(s, 20000, 1, 0), b = initial_payloads(s, 20000, 1, 0),
             c = initial_payloads(s, 20000, 1, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double mean = 0, var = 0;
  for (auto v : a) mean += v / 256.0;
  mean /= a.size();
  for (auto v : a) var += (v / 256.0 - mean) * (v / 256.0 - mean);
  var /= a.size();
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(var, 1.0, 0.05);
}

// Image pipelining on the reference simulator: the images of a pipelined loop are exactly the sequential
// loop's, with 2 images in flight at T = 3 (P = 6: uneven lanes of 2 and 1 images) and 3 at T = 1 (P = 3).
// Without the periodic reset the leftover voltages of the previous image's window change them.
TEST(Ddim, PipelinedReferenceImagesEqualSequentialOnes) {
  const Network net = spikemesh::testing::loop_network();
  for (uint32_t T : {3u, 1u}) {
    DdimSchedule s = read_ddim_schedule(net, "loop");
    s.snn_timesteps = T;
    const PipelineLayout layout = pipeline_layout(net, s, "loop");
    EXPECT_EQ(layout.population_depth, (std::vector<uint32_t>{0, 1, 2}));
    EXPECT_EQ(layout.period, T == 3 ? 6u : 3u);
    EXPECT_EQ(layout.max_in_flight, T == 3 ? 2u : 3u);
    const DdimPlan plan = plan_ddim(s, 3);
    std::vector<std::vector<int32_t>> x;
    for (uint64_t k = 0; k < 4; ++k) {
      const std::vector<int32_t> one = initial_payloads(s, 16, 7, k);
      std::vector<int32_t> v;
      for (uint32_t tau = 0; tau < T; ++tau) v.insert(v.end(), one.begin(), one.end());
      x.push_back(v);
    }
    std::vector<std::vector<int32_t>> want;
    std::vector<std::vector<std::vector<int32_t>>> want_traj(4);
    ReferenceBackend seq(net);
    for (uint32_t k = 0; k < 4; ++k) want.push_back(sample_image(seq, s, plan, x[k], &want_traj[k]));

    Network piped = net;
    enable_pipelining(piped, layout, s);
    EXPECT_EQ(piped.populations[1].reset_interval, T);
    EXPECT_EQ(piped.populations[1].reset_offset, 1 % T);
    EXPECT_EQ(piped.populations[2].reset_offset, 2 % T);
    EXPECT_EQ(piped.populations[0].reset_interval, 0u);  // the input has no state
    ReferenceBackend ref(piped);
    std::vector<std::vector<std::vector<int32_t>>> traj;
    std::vector<PipelineSpan> spans;
    const uint32_t K = layout.max_in_flight;
    EXPECT_EQ(sample_pipelined(ref, s, plan, layout, K, x, &traj, &spans), want) << "T = " << T;
    EXPECT_EQ(traj, want_traj);
    // Image k is in lane k mod K, its m-th DDIM step at k mod K * T + m P: its first input at lane * T, its last
    // readout (D + T - 1) in the last of its lane's steps.
    const uint32_t P = layout.period, D = s.pipeline_depth;
    for (uint32_t k = 0; k < 4; ++k) {
      const uint64_t lane = k % K, m_last = (k / K) * 3 + 2;
      EXPECT_EQ(spans[k].first_timestep, lane * T + (k / K) * 3 * P) << k;
      EXPECT_EQ(spans[k].last_timestep, lane * T + m_last * P + D + T - 1) << k;
    }
    const uint64_t end = spans[3].last_timestep + 1;
    EXPECT_EQ(ref.simulator().timestep(), end);  // one global loop, reset once
    EXPECT_LT(end, 4u * 3 * (T + D));            // fewer timesteps than the sequential loop

    Network no_reset = piped;
    for (Population& p : no_reset.populations) p.reset_interval = 0, p.reset_offset = 0;
    ReferenceBackend leaky(no_reset);
    EXPECT_NE(sample_pipelined(leaky, s, plan, layout, K, x, nullptr, nullptr), want) << "T = " << T;
  }
}

TEST(Ddim, PipelineRefusesRecurrentUnbalancedOrOversizedSchedules) {
  const Network net = spikemesh::testing::loop_network();
  const DdimSchedule s = read_ddim_schedule(net, "loop");
  auto message = [&](const Network& n) {
    try {
      pipeline_layout(n, s, "loop.h5");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(net), "");
  Network recurrent = net;
  Projection self = recurrent.projections[1];
  self.name = "h_h";
  self.target = self.source;
  recurrent.projections.push_back(self);
  EXPECT_NE(message(recurrent).find("/projections/3 ('h_h' from 'h' to 'h'): recurrent"), std::string::npos)
      << message(recurrent);
  Network skewed = net;
  skewed.projections[2].delays = {0};  // the skip x -> out needs delay 1
  EXPECT_NE(message(skewed).find("/projections/2 ('skip' from 'x' to 'out'): not exactly delay balanced: delay 0, "
                                 "expected depth('out') - depth('x') - 1 = 1"),
            std::string::npos)
      << message(skewed);
  const PipelineLayout layout = pipeline_layout(net, s, "loop.h5");
  ReferenceBackend ref(net);
  std::vector<std::vector<int32_t>> x(1, std::vector<int32_t>(48, 0));
  EXPECT_THROW(sample_pipelined(ref, s, plan_ddim(s, 1), layout, 3, x, nullptr, nullptr), Error);  // K_max = 2
  EXPECT_THROW(sample_pipelined(ref, s, plan_ddim(s, 1), layout, 0, x, nullptr, nullptr), Error);
}
