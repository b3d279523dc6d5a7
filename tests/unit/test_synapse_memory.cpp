// Synaptic memory word packing (model/synapse_memory.h): field widths, word counts per
// docs/sources.md#synapse-memory, an exact bit layout, lossless round trips against effective_weight,
// corrupt images rejected.
#include <gtest/gtest.h>

#include <random>

#include "error.h"
#include "synapse_memory.h"

using namespace spikemesh;

namespace {
SynapseFormat format(BlockLayout layout, uint8_t nbits, SignMode mode, uint8_t delay_bits, uint8_t index_bits,
                     int8_t exp = 0) {
  SynapseFormat f;
  f.layout = layout;
  f.weight = WeightFormat{exp, nbits, mode};
  f.weight_bits = stored_weight_bits(f.weight);
  f.delay_bits = delay_bits;
  f.index_bits = index_bits;
  return f;
}
}  // namespace

TEST(SynapseMemory, StoredWeightBitsFollowNengosMapPlusASignlessNinthBitForInhibitory) {
  EXPECT_EQ(stored_weight_bits({0, 8, SignMode::Mixed}), 8);
  EXPECT_EQ(stored_weight_bits({0, 7, SignMode::Excitatory}), 8);  // WEIGHT_BITS_MAP has no 7
  EXPECT_EQ(stored_weight_bits({0, 3, SignMode::Mixed}), 3);
  EXPECT_EQ(stored_weight_bits({0, 8, SignMode::Inhibitory}), 9);  // -256 needs a ninth bit
  EXPECT_EQ(bits_for(0), 0);
  EXPECT_EQ(bits_for(1), 1);
  EXPECT_EQ(bits_for(62), 6);
  EXPECT_EQ(bits_for(64), 7);
}

TEST(SynapseMemory, ListWordsRoundEachBlockOf64SynapsesUpToWholeWords) {
  // Sparse, 8-bit weights, no delay, 10-bit index: 18 bits per synapse, 10 header bits per block.
  const SynapseFormat s = format(BlockLayout::Sparse, 8, SignMode::Mixed, 0, 10);
  EXPECT_EQ(record_bits(s), 18u);
  EXPECT_EQ(list_words(s, 0), 0u);
  EXPECT_EQ(list_words(s, 1), 1u);    // 28 bits
  EXPECT_EQ(list_words(s, 3), 1u);    // 64 bits exactly
  EXPECT_EQ(list_words(s, 4), 2u);    // 82 bits
  EXPECT_EQ(list_words(s, 64), 19u);  // 10 + 64 * 18 = 1162 bits
  EXPECT_EQ(list_words(s, 65), 20u);  // a second block of one synapse
  // Dense, 8-bit weights, 3 delay bits, base of 10 bits: 20 header bits, 11 bits per synapse.
  const SynapseFormat d = format(BlockLayout::Dense, 8, SignMode::Mixed, 3, 10);
  EXPECT_EQ(block_bits(d, 4), 64u);
  EXPECT_EQ(list_words(d, 4), 1u);
  EXPECT_EQ(list_words(d, 5), 2u);
}

TEST(SynapseMemory, SparseRecordBitLayoutIsFormatCountIndexWeightDelayLsbFirst) {
  const SynapseFormat f = format(BlockLayout::Sparse, 8, SignMode::Excitatory, 3, 10);
  std::vector<uint64_t> words;
  const SynapseRecord r{5, 4, 200};
  EXPECT_EQ(pack_list(words, 2, f, 0, &r, 1), 1u);
  ASSERT_EQ(words.size(), 1u);
  const uint64_t expected = 2u | (0u << 4) | (5u << 10) | (200u << 20) | (uint64_t{4} << 28);
  EXPECT_EQ(words[0], expected);
}

TEST(SynapseMemory, PackThenUnpackIsLosslessAndMatchesEffectiveWeight) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const BlockLayout layout = trial % 2 ? BlockLayout::Dense : BlockLayout::Sparse;
    const auto mode = static_cast<SignMode>(1 + trial % 3);
    const uint8_t nbits = static_cast<uint8_t>(1 + (trial / 3) % 8);
    const uint8_t delay_bits = static_cast<uint8_t>(trial % 7);
    const SynapseFormat f = format(layout, nbits, mode, delay_bits, 13, static_cast<int8_t>(trial % 5 - 2));
    const std::vector<SynapseFormat> table = {format(BlockLayout::Sparse, 8, SignMode::Mixed, 0, 10), f};
    const uint64_t n = 1 + rng() % 150;
    std::vector<SynapseRecord> recs(n);
    for (uint64_t k = 0; k < n; ++k) {
      recs[k].index = layout == BlockLayout::Dense ? static_cast<uint32_t>(k) : static_cast<uint32_t>(rng() % 8192);
      recs[k].delay = static_cast<uint8_t>(delay_bits ? rng() % (1u << delay_bits) : 0);
      recs[k].mantissa =
          static_cast<int16_t>(mantissa_min(mode) + int(rng() % (mantissa_max(mode) - mantissa_min(mode) + 1)));
    }
    std::vector<uint64_t> words(3, 0);  // lists start after other data in a real image
    const uint32_t base = 700;
    const uint64_t w = pack_list(words, 1, f, base, recs.data(), n);
    EXPECT_EQ(w, list_words(f, n));
    uint64_t k = 0;
    unpack_list(words.data() + 3, w, table, [&](const UnpackedSynapse& s) {
      ASSERT_LT(k, n);
      EXPECT_EQ(s.format_id, 1u);
      EXPECT_EQ(s.compartment, layout == BlockLayout::Dense ? base + k : recs[k].index);
      EXPECT_EQ(s.delay, recs[k].delay);
      EXPECT_EQ(effective_weight(s.mantissa, f.weight), effective_weight(recs[k].mantissa, f.weight))
          << "mantissa " << recs[k].mantissa << " nbits " << int(nbits) << " mode " << int(mode);
      ++k;
    });
    EXPECT_EQ(k, n);
  }
}

TEST(SynapseMemory, EveryMantissaSurvivesTheStoredCode) {
  for (int mode = 1; mode <= 3; ++mode)
    for (uint8_t nbits = 1; nbits <= 8; ++nbits) {
      const WeightFormat f{0, nbits, static_cast<SignMode>(mode)};
      const int bits = stored_weight_bits(f);
      for (int m = mantissa_min(f.sign_mode); m <= mantissa_max(f.sign_mode); ++m) {
        const int32_t code = weight_code(m, f);
        if (f.sign_mode == SignMode::Mixed) {
          EXPECT_GE(code, -(1 << (bits - 1)));
          EXPECT_LT(code, 1 << (bits - 1));
        } else {
          EXPECT_GE(code, 0);
          EXPECT_LT(code, 1 << bits);
        }
        const int back = mantissa_from_code(f.sign_mode == SignMode::Inhibitory ? -code : code, f);
        EXPECT_EQ(effective_weight(back, f), effective_weight(m, f)) << "m " << m;
      }
    }
}

TEST(SynapseMemory, CorruptImagesAreRejected) {
  const std::vector<SynapseFormat> table = {format(BlockLayout::Sparse, 8, SignMode::Mixed, 0, 10)};
  const uint64_t bad_format = 5;  // format id 5, table has 1 entry
  EXPECT_THROW(unpack_list(&bad_format, 1, table, [](const UnpackedSynapse&) {}), Error);
  const uint64_t too_long = 0 | (63u << 4);  // claims 64 synapses in one word
  EXPECT_THROW(unpack_list(&too_long, 1, table, [](const UnpackedSynapse&) {}), Error);
}
