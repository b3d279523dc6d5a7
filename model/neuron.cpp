// Bit-exact Loihi CUBA compartment arithmetic; see neuron.h for the rules and their sources.
#include "neuron.h"

#include <algorithm>

namespace spikemesh {

CompartmentOutput update_compartment(CompartmentState& s, const CompartmentParams& p, int64_t q, int64_t bias,
                                     bool can_spike) {
  // Dendritic accumulator: 21 bits + sign, two's-complement wrap.
  const int64_t q22 = wrap_signed(q, kAccumBits);
  // Current: decay with Loihi 1's +1 offset, add input, wrap to 24 bits. The stored u excludes bias.
  const int64_t u = wrap_signed(decay_toward_zero(s.u, p.du, 1) + q22, kStateBits);
  // Bias enters through u2 only, wrapped again (nengo-loihi order).
  const int64_t u2 = wrap_signed(u + bias, kStateBits);
  // Voltage: decay without offset, integrate u2, clamp (v saturates, it never wraps).
  int64_t v = decay_toward_zero(s.v, p.dv, 0) + u2;
  v = std::clamp(v, vmin_value(p.vmin_exp), vmax_value(p.vmax_exp));
  if (s.refract > 0) v = 0;
  CompartmentOutput out;
  out.current = static_cast<int32_t>(u2);
  if (can_spike && v > threshold_value(p.vth_mant)) {   // strict '>': equality does not fire
    out.spike = true;
    v = 0;
    s.refract = p.refract_delay;
  }
  if (s.refract > 0) --s.refract;
  s.u = static_cast<int32_t>(u);
  s.v = static_cast<int32_t>(v);
  return out;
}

int mantissa_min(SignMode m) { return m == SignMode::Excitatory ? 0 : -256; }
int mantissa_max(SignMode m) { return m == SignMode::Inhibitory ? 0 : 255; }

int32_t effective_weight(int mantissa, const WeightFormat& f) {
  const int is_mixed = f.sign_mode == SignMode::Mixed ? 1 : 0;
  const int64_t prec = int64_t{1} << (8 - f.num_weight_bits + is_mixed);
  const int64_t mt = (mantissa / prec) * prec;   // C++ integer division truncates toward zero
  const int64_t scaled = f.weight_exp >= 0 ? mt * (int64_t{1} << f.weight_exp) : floor_shift(mt, -f.weight_exp);
  const int64_t limit = (int64_t{1} << 21) - (int64_t{1} << kWeightShift);
  return static_cast<int32_t>(std::clamp(scaled * (int64_t{1} << kWeightShift), -limit, limit));
}

}  // namespace spikemesh
