// Synaptic memory word packing; see synapse_memory.h.
#include "synapse_memory.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "error.h"

namespace spikemesh {
namespace {

int prec_shift(const WeightFormat& f) { return 8 - f.num_weight_bits + (f.sign_mode == SignMode::Mixed ? 1 : 0); }

// Writes fields LSB-first into a word array.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint64_t>& words) : w_(words), start_(words.size()) {}
  void write(uint64_t value, uint32_t bits) {
    if (bits == 0) return;
    const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    value &= mask;
    const uint64_t word = pos_ / 64, off = pos_ % 64;
    while (w_.size() <= start_ + word + (off + bits > 64 ? 1 : 0)) w_.push_back(0);
    w_[start_ + word] |= value << off;
    if (off + bits > 64) w_[start_ + word + 1] |= value >> (64 - off);
    pos_ += bits;
  }
  void align() { pos_ = (pos_ + 63) / 64 * 64; }
  uint64_t words() const { return pos_ / 64; }

 private:
  std::vector<uint64_t>& w_;
  uint64_t start_, pos_ = 0;
};

}  // namespace

int32_t weight_code(int mantissa, const WeightFormat& f) {
  const int32_t prec = int32_t{1} << prec_shift(f);
  const int32_t code = mantissa / prec;  // truncates toward zero, as effective_weight does
  return f.sign_mode == SignMode::Inhibitory ? -code : code;
}

int mantissa_from_code(int32_t code, const WeightFormat& f) { return code * (int32_t{1} << prec_shift(f)); }

uint8_t stored_weight_bits(const WeightFormat& f) {
  const uint8_t b = f.num_weight_bits == 7 ? 8 : f.num_weight_bits;  // WEIGHT_BITS_MAP has no 7
  return static_cast<uint8_t>(b + (f.sign_mode == SignMode::Inhibitory ? 1 : 0));
}

uint8_t bits_for(uint64_t max_value) {
  uint8_t b = 0;
  while (max_value >> b) ++b;
  return b;
}

uint32_t record_bits(const SynapseFormat& f) {
  return f.weight_bits + f.delay_bits + (f.layout == BlockLayout::Sparse ? f.index_bits : 0);
}

uint64_t block_bits(const SynapseFormat& f, uint32_t n) {
  return kFormatIdBits + kCountBits + (f.layout == BlockLayout::Dense ? f.index_bits : 0) +
         uint64_t{n} * record_bits(f);
}

uint64_t list_words(const SynapseFormat& f, uint64_t n) {
  const uint64_t full = n / kSynapsesPerBlock, rest = n % kSynapsesPerBlock;
  uint64_t words = full * ((block_bits(f, kSynapsesPerBlock) + 63) / 64);
  if (rest) words += (block_bits(f, static_cast<uint32_t>(rest)) + 63) / 64;
  return words;
}

uint64_t pack_list(std::vector<uint64_t>& words, uint32_t format_id, const SynapseFormat& f, uint32_t base,
                   const SynapseRecord* records, uint64_t n) {
  BitWriter w(words);
  for (uint64_t b = 0; b < n; b += kSynapsesPerBlock) {
    const uint32_t count = static_cast<uint32_t>(std::min<uint64_t>(kSynapsesPerBlock, n - b));
    w.write(format_id, kFormatIdBits);
    w.write(count - 1, kCountBits);
    if (f.layout == BlockLayout::Dense) w.write(base + b, f.index_bits);
    for (uint32_t k = 0; k < count; ++k) {
      const SynapseRecord& s = records[b + k];
      if (f.layout == BlockLayout::Sparse) w.write(s.index, f.index_bits);
      assert(f.layout == BlockLayout::Sparse || s.index == b + k);
      w.write(static_cast<uint64_t>(static_cast<int64_t>(weight_code(s.mantissa, f.weight))), f.weight_bits);
      w.write(s.delay, f.delay_bits);
    }
    w.align();
  }
  assert(w.words() == list_words(f, n));
  return w.words();
}

uint64_t BitReader::read(uint32_t bits) {
  if (bits == 0) return 0;
  if (pos_ + bits > n_ * 64) throw_corrupt_synapse_image("a block runs past the end of its list");
  const uint64_t word = pos_ / 64, off = pos_ % 64;
  uint64_t v = w_[word] >> off;
  if (off + bits > 64) v |= w_[word + 1] << (64 - off);
  pos_ += bits;
  return bits == 64 ? v : v & ((uint64_t{1} << bits) - 1);
}

void BitReader::align() { pos_ = (pos_ + 63) / 64 * 64; }

int64_t sign_extend(uint64_t v, uint32_t bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign)) - static_cast<int64_t>(sign);
}

void throw_corrupt_synapse_image(const char* what) { throw Error(std::string("synaptic memory image: ") + what); }

}  // namespace spikemesh
