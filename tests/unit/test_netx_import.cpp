// lava_dense_weights: what a netx dense layer's weights become in Lava (lava-dl's optimize_weight_bits, then
// Lava's bit-accurate Dense), on hand-worked matrices (docs/netx.md).
#include <gtest/gtest.h>

#include "netx_import.h"

namespace spikemesh {
namespace {

using W = std::vector<int64_t>;

TEST(LavaDenseWeights, EvenMixedWeightsKeepTheirValuesAt8Bits) {
  // oxford's layer 0 range: scale = min(127 / 192, 128 / 178) = 0.66, floor(log2) = -1, + 1 (signed) = 0;
  // every weight even: n = 1, - 1 (signed) = 0, num_weight_bits = 8; truncation drops the (zero) LSB.
  const LavaDenseWeights r = lava_dense_weights({-178, 192, 2, -4});
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.sign_mode, SignMode::Mixed);
  EXPECT_EQ(r.scale_bits, 0);
  EXPECT_EQ(r.num_weight_bits, 8);
  EXPECT_EQ(r.effective, (W{-178, 192, 2, -4}));
}

TEST(LavaDenseWeights, SmallWeightsAreScaledUpAndTheSumShiftedBack) {
  // Excitatory {3, 5}: scale 255 / 5 = 51, scale_bits 5, stored 96 and 160 with num_weight_bits 3 (n = 0):
  // truncation by 5 bits keeps them, the summed input >> 5 gives 3 and 5 back.
  const LavaDenseWeights e = lava_dense_weights({3, 5, 0});
  EXPECT_EQ(e.problem, "");
  EXPECT_EQ(e.sign_mode, SignMode::Excitatory);
  EXPECT_EQ(e.scale_bits, 5);
  EXPECT_EQ(e.num_weight_bits, 3);
  EXPECT_EQ(e.effective, (W{3, 5, 0}));
  // Mixed {-1, 1}: scale min(127, 128) = 127, floor(log2) 6, + 1 = 7; n = 0 - 1; num_weight_bits 2.
  const LavaDenseWeights m = lava_dense_weights({-1, 1});
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(m.scale_bits, 7);
  EXPECT_EQ(m.num_weight_bits, 2);
  EXPECT_EQ(m.effective, (W{-1, 1}));
}

TEST(LavaDenseWeights, InhibitoryMinus128VanishesAsInLava) {
  // Inhibitory {-128}: scale -256 / -128 = 2, scale_bits 1, stored -256; n = 7 gives num_weight_bits 0.
  // Lava's Dense clips the magnitude 256 to 255 and truncates 8 bits: 0. The layer receives nothing.
  const LavaDenseWeights r = lava_dense_weights({-128, -128});
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.sign_mode, SignMode::Inhibitory);
  EXPECT_EQ(r.num_weight_bits, 0);
  EXPECT_EQ(r.effective, (W{0, 0}));
}

TEST(LavaDenseWeights, InhibitoryPowerOfTwoMinimumIsClippedTo255BeforeTruncation) {
  // The most negative weight scales to exactly -256, whose magnitude Lava's clip_weights makes 255:
  // {-128, -64}: s = 1, stored -256, -128, n = 6, num_weight_bits 1, 7 bits truncated: 255 -> 128, so both -64.
  EXPECT_EQ(lava_dense_weights({-128, -64}).effective, (W{-64, -64}));
  // {-256, -2}: s = 0, n = 1, num_weight_bits 7, 1 bit truncated: 255 -> 254.
  EXPECT_EQ(lava_dense_weights({-256, -2}).effective, (W{-254, -2}));
  // Not a power of two: {-100}, s = 1, stored -200, exact.
  EXPECT_EQ(lava_dense_weights({-100}).effective, (W{-100}));
  // With a zero the matrix is mixed (max 0 is not < 0): -128 scales to -256, inside the mixed range.
  const LavaDenseWeights m = lava_dense_weights({-128, 0});
  EXPECT_EQ(m.sign_mode, SignMode::Mixed);
  EXPECT_EQ(m.effective, (W{-128, 0}));
}

TEST(LavaDenseWeights, LargeMixedWeightsAreClippedTo254) {
  // max 300 > 254 with a negative weight: lava-dl clips to -256..254 before optimizing.
  const LavaDenseWeights r = lava_dense_weights({300, -6});
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.effective, (W{254, -6}));
}

TEST(LavaDenseWeights, WeightsBeyondEightBitsAreAProblem) {
  const LavaDenseWeights r = lava_dense_weights({256, 3});  // excitatory: scale 255 / 256 < 1
  EXPECT_NE(r.problem.find("weights 3..256 exceed the 8-bit synapse range"), std::string::npos) << r.problem;
  EXPECT_TRUE(r.effective.empty());
}

TEST(LavaDenseWeights, AllZeroWeightsGiveNoInput) {
  const LavaDenseWeights r = lava_dense_weights({0, 0, 0});
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.effective, (W{0, 0, 0}));
}

}  // namespace
}  // namespace spikemesh
