// Synaptic memory word packing (Loihi synapse formats, docs/sources.md#synapse-memory, as modelled by nengo-loihi's
// SynapseConfig.bits_per_axon): a synapse list is cut into blocks of at most 64 synapses; a block is a
// 4-bit synapse-format id, a 6-bit count (n - 1) and n synapse records, rounded up to whole 64-bit words.
//   dense block:  header | base compartment (index_bits) | n x (weight | delay)    consecutive targets
//   sparse block: header | n x (index | weight | delay)                             explicit targets
// Deviation from nengo: our dense block carries its base compartment (nengo keeps it in the axon
// config) because one input axon here serves several projections, each with its own base.
// Bit order: LSB first, fields in the order written above; a block starts on a word boundary.
#pragma once

#include <cstdint>
#include <vector>

#include "neuron.h"

namespace spikemesh {

inline constexpr uint32_t kSynapsesPerBlock = 64;  // 6-bit count field holds n - 1
inline constexpr uint32_t kFormatIdBits = 4;       // synapse-format table index: 16 formats per core
inline constexpr uint32_t kCountBits = 6;
inline constexpr uint32_t kMaxSynapseFormats = 1u << kFormatIdBits;

enum class BlockLayout : uint8_t { Dense, Sparse };

// One entry of a core's synapse-format table.
struct SynapseFormat {
  BlockLayout layout = BlockLayout::Sparse;
  WeightFormat weight;
  uint8_t weight_bits = 8;  // stored field width: stored_weight_bits(weight)
  uint8_t delay_bits = 0;   // 0 when every delay of the projection is 0
  uint8_t index_bits = 10;  // compartment index (sparse) or base (dense)
  bool operator==(const SynapseFormat& o) const {
    return layout == o.layout && weight.weight_exp == o.weight.weight_exp &&
           weight.num_weight_bits == o.weight.num_weight_bits && weight.sign_mode == o.weight.sign_mode &&
           weight_bits == o.weight_bits && delay_bits == o.delay_bits && index_bits == o.index_bits;
  }
};

// Stored weight code: the mantissa with its dropped LSBs removed, trunc0(m / prec), prec =
// 2^(8 - num_weight_bits + is_mixed) (the same truncation as effective_weight). Mixed: two's complement
// in num_weight_bits; excitatory: unsigned num_weight_bits; inhibitory: the magnitude, which reaches
// 2^num_weight_bits for m = -256, hence one extra bit (Davies 2018: weights of up to 9 bits).
int32_t weight_code(int mantissa, const WeightFormat& f);
int mantissa_from_code(int32_t code, const WeightFormat& f);  // code * prec: effective_weight-equivalent
// Field width: num_weight_bits rounded up to nengo's WEIGHT_BITS_MAP {1,2,3,4,5,6,8}, +1 for inhibitory.
uint8_t stored_weight_bits(const WeightFormat& f);
uint8_t bits_for(uint64_t max_value);  // bits to hold 0..max_value (0 for 0)

uint32_t record_bits(const SynapseFormat& f);             // bits per synapse record
uint64_t block_bits(const SynapseFormat& f, uint32_t n);  // header + base + records, before rounding
// Words of a list of n synapses in format f: sum over its blocks of ceil(block_bits / 64).
uint64_t list_words(const SynapseFormat& f, uint64_t n);

// One synapse before packing: `index` is the compartment (sparse) or the position after base (dense:
// entry k of a dense list is compartment base + k, so dense entries carry index = k).
struct SynapseRecord {
  uint32_t index = 0;
  uint8_t delay = 0;
  int16_t mantissa = 0;
};

// Appends one list (as blocks) to `words` and returns the words appended. Dense lists must have
// records[k].index == k.
uint64_t pack_list(std::vector<uint64_t>& words, uint32_t format_id, const SynapseFormat& f, uint32_t base,
                   const SynapseRecord* records, uint64_t n);

// A decoded synapse: target compartment, delay and the mantissa as stored (code * prec).
struct UnpackedSynapse {
  uint32_t format_id;
  uint32_t compartment;
  uint8_t delay;
  int16_t mantissa;
};
// Decodes the blocks in words[0, n_words) with the core's format table; calls fn(const UnpackedSynapse&).
// Throws Error when a block names a format outside the table or runs past n_words (a corrupt image).
template <class Fn>
void unpack_list(const uint64_t* words, uint64_t n_words, const std::vector<SynapseFormat>& table, Fn&& fn);

// ---- implementation of the template -----------------------------------------------------------------

// Reads fields LSB-first from a word array.
class BitReader {
 public:
  BitReader(const uint64_t* words, uint64_t n_words) : w_(words), n_(n_words) {}
  uint64_t read(uint32_t bits);  // throws Error past the end
  void align();                  // skip to the next word boundary
  uint64_t word_position() const { return pos_ / 64 + (pos_ % 64 ? 1 : 0); }
  bool at_end() const { return pos_ >= n_ * 64; }

 private:
  const uint64_t* w_;
  uint64_t n_, pos_ = 0;
};
int64_t sign_extend(uint64_t v, uint32_t bits);
[[noreturn]] void throw_corrupt_synapse_image(const char* what);

template <class Fn>
void unpack_list(const uint64_t* words, uint64_t n_words, const std::vector<SynapseFormat>& table, Fn&& fn) {
  BitReader r(words, n_words);
  while (!r.at_end()) {
    const uint32_t id = static_cast<uint32_t>(r.read(kFormatIdBits));
    if (id >= table.size()) throw_corrupt_synapse_image("block names a synapse format outside the table");
    const SynapseFormat& f = table[id];
    const uint32_t n = static_cast<uint32_t>(r.read(kCountBits)) + 1;
    const uint32_t base = f.layout == BlockLayout::Dense ? static_cast<uint32_t>(r.read(f.index_bits)) : 0;
    for (uint32_t k = 0; k < n; ++k) {
      UnpackedSynapse s;
      s.format_id = id;
      s.compartment = f.layout == BlockLayout::Dense ? base + k : static_cast<uint32_t>(r.read(f.index_bits));
      const uint64_t code = r.read(f.weight_bits);
      const int32_t c = f.weight.sign_mode == SignMode::Mixed ? static_cast<int32_t>(sign_extend(code, f.weight_bits))
                        : f.weight.sign_mode == SignMode::Inhibitory ? -static_cast<int32_t>(code)
                                                                     : static_cast<int32_t>(code);
      s.mantissa = static_cast<int16_t>(mantissa_from_code(c, f.weight));
      s.delay = static_cast<uint8_t>(r.read(f.delay_bits));
      fn(s);
    }
    r.align();
  }
}

}  // namespace spikemesh
