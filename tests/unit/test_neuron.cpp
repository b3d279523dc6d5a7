// Bit-exact CUBA compartment and synapse arithmetic: analytical sequences and boundary pairs
// (rules from docs/sources.md#neuron and docs/sources.md#weights).
#include <gtest/gtest.h>

#include "neuron.h"

using namespace spikemesh;

namespace {

// A pure integrator with no current memory: u = q, v += u2; useful to drive v exactly.
CompartmentParams integrator(uint32_t vth_mant) {
  CompartmentParams p;
  p.du = 4095;  // current factor (4096 - 4096) / 4096 = 0: u = q each step
  p.dv = 0;     // voltage factor 1: pure integrator
  p.vth_mant = vth_mant;
  return p;
}

}  // namespace

TEST(FixedPoint, WrapSignedAtExactEdges) {
  EXPECT_EQ(wrap_signed((1 << 21) - 1, 22), (1 << 21) - 1);
  EXPECT_EQ(wrap_signed(1 << 21, 22), -(1 << 21));
  EXPECT_EQ(wrap_signed(-(1 << 21), 22), -(1 << 21));
  EXPECT_EQ(wrap_signed(-(1 << 21) - 1, 22), (1 << 21) - 1);
  EXPECT_EQ(wrap_signed((1 << 23) - 1, 24), (1 << 23) - 1);
  EXPECT_EQ(wrap_signed(1 << 23, 24), -(1 << 23));
  EXPECT_EQ(wrap_signed((int64_t{1} << 32) + 5, 24), 5);
}

TEST(FixedPoint, DecayRoundsTowardZero) {
  // decayU = 0 still leaks through the +1 offset: 128 -> 127, and -128 -> -127 (not -128, which an
  // arithmetic shift of the negative value would give).
  EXPECT_EQ(decay_toward_zero(128, 0, 1), 127);
  EXPECT_EQ(decay_toward_zero(-128, 0, 1), -127);
  EXPECT_EQ(decay_toward_zero(127, 0, 1), 126);
  // decayU = 4095 with the offset leaves nothing; decayV = 0 without offset keeps everything.
  EXPECT_EQ(decay_toward_zero(1000000, 4095, 1), 0);
  EXPECT_EQ(decay_toward_zero(-1000000, 0, 0), -1000000);
  // Factor 1/2: 3 -> 1 and -3 -> -1.
  EXPECT_EQ(decay_toward_zero(3, 2047, 1), 1);
  EXPECT_EQ(decay_toward_zero(-3, 2047, 1), -1);
}

TEST(FixedPoint, FloorShiftRoundsTowardMinusInfinity) {
  EXPECT_EQ(floor_shift(5, 1), 2);
  EXPECT_EQ(floor_shift(-5, 1), -3);
  EXPECT_EQ(floor_shift(-4, 1), -2);
  EXPECT_EQ(floor_shift(-1, 8), -1);
}

TEST(Compartment, CurrentHalvesEachStepWithDu2047) {
  CompartmentParams p;
  p.du = 2047;  // (4096 - 2048) / 4096 = 1/2
  p.dv = 4095;
  p.vth_mant = kVthMantMax;
  CompartmentState s;
  update_compartment(s, p, 1 << 16, 0);
  EXPECT_EQ(s.u, 1 << 16);
  for (int k = 1; k <= 16; ++k) {
    update_compartment(s, p, 0, 0);
    EXPECT_EQ(s.u, (1 << 16) >> k) << "step " << k;
  }
  update_compartment(s, p, 0, 0);
  EXPECT_EQ(s.u, 0);
}

TEST(Compartment, DecayU0LeaksByOnePerStepFrom128) {
  CompartmentParams p;
  p.du = 0;
  p.vth_mant = kVthMantMax;
  CompartmentState s;
  update_compartment(s, p, 128, 0);
  EXPECT_EQ(s.u, 128);
  update_compartment(s, p, 0, 0);
  EXPECT_EQ(s.u, 127);
  update_compartment(s, p, 0, 0);
  EXPECT_EQ(s.u, 126);
}

TEST(Compartment, ThresholdEqualityDoesNotSpike) {
  const CompartmentParams p = integrator(10);  // threshold 640
  CompartmentState s;
  EXPECT_FALSE(update_compartment(s, p, 640, 0).spike);
  EXPECT_EQ(s.v, 640);
  CompartmentState t;
  EXPECT_TRUE(update_compartment(t, p, 641, 0).spike);
  EXPECT_EQ(t.v, 0);  // reset to 0
}

TEST(Compartment, PureIntegratorCrossesThresholdOnPredictedStep) {
  const CompartmentParams p = integrator(100);  // threshold 6400
  CompartmentState s;
  int fired_at = -1;
  for (int t = 0; t < 10 && fired_at < 0; ++t)
    if (update_compartment(s, p, 1000, 0).spike) fired_at = t;
  EXPECT_EQ(fired_at, 6);  // v = 7000 > 6400 at the 7th step; 6000 at the 6th does not fire
}

TEST(Compartment, AccumulatorWrapsAt22Bits) {
  const CompartmentParams p = integrator(kVthMantMax);
  CompartmentState s;
  update_compartment(s, p, (1 << 21) - 1, 0);
  EXPECT_EQ(s.u, (1 << 21) - 1);
  update_compartment(s, p, 1 << 21, 0);
  EXPECT_EQ(s.u, -(1 << 21));
}

TEST(Compartment, CurrentWrapsAt24BitsNotSaturates) {
  CompartmentParams p;
  p.du = 0;
  p.dv = 4095;
  p.vth_mant = kVthMantMax;
  // decay of 2^23 - 1 with factor 4095/4096: 8388607 - ceil(8388607 / 4096) = 8386559.
  CompartmentState s;
  s.u = (1 << 23) - 1;
  update_compartment(s, p, 2048, 0);
  EXPECT_EQ(s.u, (1 << 23) - 1);
  CompartmentState t;
  t.u = (1 << 23) - 1;
  update_compartment(t, p, 2049, 0);
  EXPECT_EQ(t.u, -(1 << 23));
}

TEST(Compartment, BiasEntersThroughU2AndWraps) {
  const CompartmentParams p = integrator(kVthMantMax);
  CompartmentState s;
  const auto out = update_compartment(s, p, 100, bias_value(3, 2));
  EXPECT_EQ(s.u, 100);          // stored u excludes the bias
  EXPECT_EQ(out.current, 112);  // u2 = u + 3 << 2
  CompartmentState t;
  const auto wrapped = update_compartment(t, p, (1 << 21) - 1, (int64_t{1} << 23) - (1 << 21) + 1);
  EXPECT_EQ(wrapped.current, -(1 << 23));  // u2 = 2^23 wraps to -2^23
}

TEST(Compartment, VoltageClampsAtVmaxAndVminEdges) {
  CompartmentParams p = integrator(kVthMantMax);
  p.vmax_exp = 0;  // vmax = 2^9 - 1 = 511
  p.vmin_exp = 0;  // vmin = -(2^0) + 1 = 0
  CompartmentState s;
  update_compartment(s, p, 511, 0);
  EXPECT_EQ(s.v, 511);
  update_compartment(s, p, 1, 0);
  EXPECT_EQ(s.v, 511);  // 512 clamps to 511
  update_compartment(s, p, -1000, 0);
  EXPECT_EQ(s.v, 0);  // -489 clamps to vmin = 0
  p.vmin_exp = 4;     // vmin = -15
  update_compartment(s, p, -15, 0);
  EXPECT_EQ(s.v, -15);
  update_compartment(s, p, -1, 0);
  EXPECT_EQ(s.v, -15);
}

TEST(Compartment, VmaxAtOrBelowThresholdSilences) {
  CompartmentParams p = integrator(8);  // threshold 512
  p.vmax_exp = 0;                       // vmax 511: clipping precedes the threshold test
  CompartmentState s;
  for (int t = 0; t < 20; ++t) EXPECT_FALSE(update_compartment(s, p, 100000, 0).spike);
}

TEST(Compartment, RefractoryDelayHoldsVoltageForRMinusOneSteps) {
  CompartmentParams p = integrator(10);  // threshold 640
  p.refract_delay = 3;
  CompartmentState s;
  std::vector<int> spikes;
  for (int t = 0; t < 8; ++t) spikes.push_back(update_compartment(s, p, 700, 0).spike);
  // Spike at 0; steps 1 and 2 are refractory (v forced to 0, input lost); spike again at 3, then 6.
  EXPECT_EQ(spikes, (std::vector<int>{1, 0, 0, 1, 0, 0, 1, 0}));
  p.refract_delay = 1;  // 1 means no refractory period
  CompartmentState t;
  for (int k = 0; k < 4; ++k) EXPECT_TRUE(update_compartment(t, p, 700, 0).spike);
}

TEST(Compartment, CurrentKeepsIntegratingDuringRefractory) {
  CompartmentParams p = integrator(10);
  p.du = 0;
  p.refract_delay = 3;
  CompartmentState s;
  EXPECT_TRUE(update_compartment(s, p, 1000, 0).spike);
  update_compartment(s, p, 1000, 0);
  EXPECT_EQ(s.v, 0);
  EXPECT_EQ(s.u, 1000 - 1 + 1000);  // decayed 1000 -> 999, plus 1000
}

TEST(Compartment, ReadoutNeverSpikes) {
  const CompartmentParams p = integrator(0);
  CompartmentState s;
  const auto out = update_compartment(s, p, 5000, 7, false);
  EXPECT_FALSE(out.spike);
  EXPECT_EQ(out.current, 5007);
  EXPECT_EQ(s.v, 5007);
}

TEST(Synapse, EffectiveWeightMixedEightBitsDropsLsbTowardZero) {
  const WeightFormat f{0, 8, SignMode::Mixed};
  EXPECT_EQ(effective_weight(255, f), 254 * 64);
  EXPECT_EQ(effective_weight(254, f), 254 * 64);
  EXPECT_EQ(effective_weight(-3, f), -2 * 64);  // trunc toward zero, not floor
  EXPECT_EQ(effective_weight(-256, f), -256 * 64);
}

TEST(Synapse, EffectiveWeightExcitatoryKeepsAllEightBits) {
  EXPECT_EQ(effective_weight(255, WeightFormat{0, 8, SignMode::Excitatory}), 255 * 64);
  EXPECT_EQ(effective_weight(1, WeightFormat{0, 8, SignMode::Excitatory}), 64);
}

TEST(Synapse, EffectiveWeightTruncatesToNumWeightBits) {
  const WeightFormat f{0, 4, SignMode::Mixed};  // prec = 2^(8 - 4 + 1) = 32
  EXPECT_EQ(effective_weight(100, f), 96 * 64);
  EXPECT_EQ(effective_weight(-100, f), -96 * 64);
  EXPECT_EQ(effective_weight(31, f), 0);
  const WeightFormat e{0, 1, SignMode::Excitatory};  // prec 128
  EXPECT_EQ(effective_weight(200, e), 128 * 64);
}

TEST(Synapse, EffectiveWeightExponentScalesAndFloors) {
  EXPECT_EQ(effective_weight(100, WeightFormat{3, 8, SignMode::Mixed}), 100 * 8 * 64);
  // weight_exp = -8: floor(254 / 256) = 0 and floor(-2 / 256) = -1.
  EXPECT_EQ(effective_weight(254, WeightFormat{-8, 8, SignMode::Mixed}), 0);
  EXPECT_EQ(effective_weight(-2, WeightFormat{-8, 8, SignMode::Mixed}), -64);
  EXPECT_EQ(effective_weight(-256, WeightFormat{-1, 8, SignMode::Inhibitory}), -128 * 64);
}

TEST(Synapse, EffectiveWeightClipsTo21Bits) {
  EXPECT_EQ(effective_weight(-256, WeightFormat{7, 8, SignMode::Inhibitory}), -((1 << 21) - 64));
  EXPECT_EQ(effective_weight(255, WeightFormat{7, 8, SignMode::Excitatory}), 255 * 128 * 64);  // below the clip
}

TEST(Synapse, GradedPayloadMultipliesAndFloors) {
  EXPECT_EQ(graded_contribution(640, 3, 0), 1920);
  EXPECT_EQ(graded_contribution(640, -3, 1), -960);
  EXPECT_EQ(graded_contribution(65, -1, 1), -33);  // floor(-32.5)
  EXPECT_EQ(graded_contribution(64, 1, 0), 64);    // a binary spike
  EXPECT_EQ(graded_contribution(-(1 << 21) + 64, (1 << 23) - 1, 0), int64_t{-(1 << 21) + 64} * ((1 << 23) - 1));
}

TEST(Registers, DerivedValues) {
  EXPECT_EQ(vmax_value(7), (1 << 23) - 1);
  EXPECT_EQ(vmax_value(0), 511);
  EXPECT_EQ(vmin_value(23), -(1 << 23) + 1);
  EXPECT_EQ(threshold_value(kVthMantMax), int64_t{kVthMantMax} << 6);
  EXPECT_EQ(bias_value(-4096, 7), -524288);
}

// ---- Lava's fixed-point LIF (docs/netx.md): equal to ours until a value overflows ----------------------

TEST(LavaLif, WithoutOverflowItEqualsNengoLoihiStepByStep) {
  CompartmentParams p;
  p.du = 2047;      // current factor (4096 - 2048) / 4096 = 1/2
  p.dv = 2048;      // voltage factor 1/2
  p.vth_mant = 10;  // threshold 640
  CompartmentState lava, ours;
  const int64_t q[] = {256, 0, 0, 1000};
  const int32_t u[] = {256, 128, 64, 1032};
  const int32_t v[] = {256, 256, 192, 0};  // step 3: 96 + 1032 = 1128 > 640 fires, v = 0
  for (int t = 0; t < 4; ++t) {
    const CompartmentOutput a = update_compartment_lava(lava, p, q[t], 0);
    const CompartmentOutput b = update_compartment(ours, p, q[t], 0);
    EXPECT_EQ(lava.u, u[t]) << t;
    EXPECT_EQ(lava.v, v[t]) << t;
    EXPECT_EQ(a.spike, t == 3) << t;
    EXPECT_EQ(a.spike, b.spike) << t;
    EXPECT_EQ(lava.u, ours.u) << t;
    EXPECT_EQ(lava.v, ours.v) << t;
    EXPECT_EQ(a.current, b.current) << t;
  }
}

TEST(LavaLif, SynapticInputIsNotWrappedTo22Bits) {
  CompartmentParams p = integrator(kVthMantMax);
  CompartmentState lava, ours;
  update_compartment_lava(lava, p, 1 << 21, 0);
  update_compartment(ours, p, 1 << 21, 0);
  EXPECT_EQ(lava.u, 1 << 21);
  EXPECT_EQ(lava.v, 1 << 21);
  EXPECT_EQ(ours.u, -(1 << 21));  // nengo-loihi: the 22-bit accumulator wraps first
  EXPECT_EQ(ours.v, -(1 << 21));
}

TEST(LavaLif, BiasEntersVoltageWithoutWrappingUPlusBias) {
  CompartmentParams p;
  p.du = 0;  // u decays by 1/4096 (the +1 offset): 8388607 -> 8386559
  p.dv = 0;
  p.vth_mant = kVthMantMax;
  CompartmentState lava{8388607, 0, 0}, ours{8388607, 0, 0};
  const CompartmentOutput a = update_compartment_lava(lava, p, 0, 4096);
  const CompartmentOutput b = update_compartment(ours, p, 0, 4096);
  EXPECT_EQ(lava.u, 8386559);
  EXPECT_EQ(a.current, 8390655);  // u + bias, not wrapped
  // v clamped at vmax = 2^23 - 1 = 8388607 > threshold 131071 * 64 = 8388544: fires, v = 0.
  EXPECT_TRUE(a.spike);
  EXPECT_EQ(lava.v, 0);
  EXPECT_FALSE(b.spike);
  EXPECT_EQ(ours.u, 8386559);
  EXPECT_EQ(b.current, -8386561);  // wrap24(8390655)
  EXPECT_EQ(ours.v, -8386561);
}

TEST(LavaLif, CurrentWrapsAboveTwoToThe23AndAtMinusTwoToThe23) {
  CompartmentParams p = integrator(kVthMantMax);
  CompartmentState s;
  update_compartment_lava(s, p, int64_t{1} << 23, 0);
  EXPECT_EQ(s.u, 1 << 23);  // 2^23 itself is kept (range (-2^23, 2^23])
  s = {};
  update_compartment_lava(s, p, (int64_t{1} << 23) + 1, 0);
  EXPECT_EQ(s.u, -(1 << 23) + 1);
  s = {};
  update_compartment_lava(s, p, -(int64_t{1} << 23), 0);
  EXPECT_EQ(s.u, 1 << 23);
}

TEST(LavaLif, DispatchFollowsThePopulationsArithmetic) {
  CompartmentParams p = integrator(kVthMantMax);
  CompartmentState a, b;
  update_compartment(Arithmetic::Lava, a, p, 1 << 21, 0, true);
  update_compartment(Arithmetic::NengoLoihi, b, p, 1 << 21, 0, true);
  EXPECT_EQ(a.u, 1 << 21);
  EXPECT_EQ(b.u, -(1 << 21));
}

TEST(Compartment, PeriodicResetIsDueAtItsOffsetThenEveryInterval) {
  std::vector<int> due;
  for (uint64_t t = 0; t < 11; ++t) due.push_back(periodic_reset_due(t, 4, 1));
  EXPECT_EQ(due, (std::vector<int>{0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0}));
  EXPECT_TRUE(periodic_reset_due(0, 3, 0));
  EXPECT_FALSE(periodic_reset_due(2, 3, 0));
  EXPECT_TRUE(periodic_reset_due(3, 3, 0));
  for (uint64_t t = 0; t < 8; ++t) EXPECT_FALSE(periodic_reset_due(t, 0, 0)) << t;  // interval 0: never
  CompartmentState s{-1234, 5678, 3};
  reset_compartment(s);
  EXPECT_EQ(s.u, 0);
  EXPECT_EQ(s.v, 0);
  EXPECT_EQ(s.refract, 0);
}

// ---- Sigma-delta (Lava's fixed-point SigmaDelta, Delta and Sigma; docs/netx.md) -----------------------------------

namespace {

SdnnParams sdnn(SdnnRole role, int state_exp, int spike_exp, SdnnActivation act = SdnnActivation::Relu) {
  SdnnParams p;
  p.role = role;
  p.state_exp = static_cast<uint8_t>(state_exp);
  p.spike_exp = static_cast<uint8_t>(spike_exp);
  p.activation = act;
  return p;
}

}  // namespace

// netx's exponents (6, 6): threshold vth_mant << 12 = 4096; the sent spike is delta >> 6.
TEST(Sdnn, SigmaDeltaSendsTheDeltaAboveThresholdShiftedByStateExp) {
  const SdnnParams p = sdnn(SdnnRole::SigmaDelta, 6, 6);
  CompartmentState s;
  EXPECT_EQ(update_sdnn(s, p, 1, 100, 0), 0);  // sigma 100, act 100, delta 100 < 4096: residue 100
  EXPECT_EQ(s.u, 100);
  EXPECT_EQ(s.v, 100);
  EXPECT_EQ(s.residue, 100);
  // sigma 5100, act 5100, delta 5100 - 100 + 100 = 5100 >= 4096: sent floor(5100 / 64) = 79.
  EXPECT_EQ(update_sdnn(s, p, 1, 5000, 0), 79);
  EXPECT_EQ(s.residue, 0);                   // the 44 that the shift dropped is not kept (Lava's residue form)
  EXPECT_EQ(update_sdnn(s, p, 1, 0, 0), 0);  // sigma holds: delta 0
  // sigma -900, ReLU: act 0, delta -5100: sent floor(-5100 / 64) = -80 (toward -infinity, numpy's >>).
  EXPECT_EQ(update_sdnn(s, p, 1, -6000, 0), -80);
  EXPECT_EQ(s.u, -900);
  EXPECT_EQ(s.v, 0);
}

TEST(Sdnn, ResidueAccumulatesUntilTheDeltaCrossesTheThreshold) {
  const SdnnParams p = sdnn(SdnnRole::SigmaDelta, 6, 6);
  CompartmentState s;
  EXPECT_EQ(update_sdnn(s, p, 1, 3000, 0), 0);  // delta 3000: residue 3000
  EXPECT_EQ(update_sdnn(s, p, 1, 0, 0), 0);     // delta 0 + 3000 = 3000: still below 4096
  EXPECT_EQ(s.residue, 3000);
  EXPECT_EQ(update_sdnn(s, p, 1, 1200, 0), 65);  // act 4200, delta 4200 - 3000 + 3000 = 4200: 4200 >> 6 = 65
  EXPECT_EQ(s.residue, 0);
}

TEST(Sdnn, ThresholdEqualitySends) {
  const SdnnParams p = sdnn(SdnnRole::SigmaDelta, 6, 0);  // scale 64
  CompartmentState at, below;
  // bias 2 << 6 = 128 = vth 2 << 6: |delta| >= vth sends 128 >> 6 = 2; one less does not.
  EXPECT_EQ(update_sdnn(at, p, 2, 0, 2), 2);
  EXPECT_EQ(update_sdnn(below, p, 2, 127, 0), 0);
}

TEST(Sdnn, BiasIsScaledAndReluClipsANegativeActivation) {
  const SdnnParams p = sdnn(SdnnRole::SigmaDelta, 6, 6);
  CompartmentState s;
  EXPECT_EQ(update_sdnn(s, p, 0, 0, -1), 0);  // act = relu(-4096) = 0: nothing to send
  EXPECT_EQ(s.v, 0);
  CompartmentState b;
  EXPECT_EQ(update_sdnn(b, p, 0, 0, 3), 3 * 64);  // act 3 << 12, vth 0: sent (3 << 12) >> 6
  const SdnnParams unit = sdnn(SdnnRole::SigmaDelta, 6, 6, SdnnActivation::Unit);
  CompartmentState u;
  EXPECT_EQ(update_sdnn(u, unit, 0, 0, -1), -64);  // no ReLU: act -4096 is sent as -64
}

TEST(Sdnn, DeltaEncoderTakesItsInputAsTheActivation) {
  const SdnnParams p = sdnn(SdnnRole::Delta, 6, 6);
  CompartmentState s;
  EXPECT_EQ(update_sdnn(s, p, 0, 3, 0), 3 * 64);  // act 3 << 12, delta 12288: sent 12288 >> 6
  EXPECT_EQ(s.u, 0);                              // no sigma: the same input again is no change
  EXPECT_EQ(update_sdnn(s, p, 0, 3, 0), 0);
  EXPECT_EQ(update_sdnn(s, p, 0, 2, 0), -64);  // delta -4096
  EXPECT_EQ(update_sdnn(s, p, 0, -1, 0), -192);
}

TEST(Sdnn, SigmaDecoderSendsItsRunningSumEveryStep) {
  const SdnnParams p = sdnn(SdnnRole::Sigma, 6, 6);
  CompartmentState s;
  EXPECT_EQ(update_sdnn(s, p, 0, 5, 0), 5);
  EXPECT_EQ(update_sdnn(s, p, 0, -7, 0), -2);
  EXPECT_EQ(update_sdnn(s, p, 0, 0, 0), -2);  // no input: the sum is sent again
}

TEST(Sdnn, RegistersWrapAt32BitsAsLavasInt32Arrays) {
  const SdnnParams p = sdnn(SdnnRole::Sigma, 0, 0);
  CompartmentState s;
  s.u = INT32_MAX;
  EXPECT_EQ(update_sdnn(s, p, 0, 1, 0), INT32_MIN);
}

TEST(Sdnn, GradedSpikeWithSpikeExpFractionalBitsGivesWeightTimesPayload) {
  // The synapse's effective weight is w << 6; 6 fractional payload bits make a_in = w * payload exactly.
  WeightFormat f;
  for (int w : {-30, -1, 7, 36})
    for (int32_t pay : {-8174, -1, 1, 4410}) {
      const int mant = (w % 2 != 0) ? 2 * w : w;  // odd mixed weights are stored doubled with weight_exp -1
      f.weight_exp = (w % 2 != 0) ? -1 : 0;
      EXPECT_EQ(graded_contribution(effective_weight(mant, f), pay, 6), int64_t{w} * pay) << w << " " << pay;
    }
}
