// Bit-exact Loihi CUBA compartment arithmetic; see neuron.h for the rules and their sources.
#include "neuron.h"

#include <algorithm>

namespace spikemesh {

int mantissa_min(SignMode m) { return m == SignMode::Excitatory ? 0 : -256; }
int mantissa_max(SignMode m) { return m == SignMode::Inhibitory ? 0 : 255; }

int32_t effective_weight(int mantissa, const WeightFormat& f) {
  const int is_mixed = f.sign_mode == SignMode::Mixed ? 1 : 0;
  const int64_t prec = int64_t{1} << (8 - f.num_weight_bits + is_mixed);
  const int64_t mt = (mantissa / prec) * prec;  // C++ integer division truncates toward zero
  const int64_t scaled = f.weight_exp >= 0 ? mt * (int64_t{1} << f.weight_exp) : floor_shift(mt, -f.weight_exp);
  const int64_t limit = (int64_t{1} << 21) - (int64_t{1} << kWeightShift);
  return static_cast<int32_t>(std::clamp(scaled * (int64_t{1} << kWeightShift), -limit, limit));
}

}  // namespace spikemesh
