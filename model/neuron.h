// Bit-exact Loihi CUBA compartment arithmetic (nengo-loihi order), as pure functions.
// Every function here is `next = f(state, inputs)`: the reference simulator and the SystemC neurocore
// both call these, so the chip and the golden model cannot disagree on arithmetic, only on timing.
// Source of every rule and width: docs/sources.md#neuron and docs/sources.md#weights.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spikemesh {

// ---- Register widths (Loihi 1 neurocore) ------------------------------------------------------------
inline constexpr int kAccumBits = 22;  // dendritic accumulator q: 21 bits + sign, wraps
inline constexpr int kStateBits = 24;  // u and v: 23 bits + sign; u wraps, v is clamped
inline constexpr int kDecayBits = 12;  // du, dv: unsigned 12 bit, factor (4096 - d) / 4096
inline constexpr int kDecayMax = 4095;
inline constexpr int kVthShift = 6;                      // threshold = vth_mant << 6
inline constexpr uint32_t kVthMantMax = (1u << 17) - 1;  // vth_mant: unsigned 17 bit
inline constexpr int kBiasMantMin = -4096;               // bias_mant: signed 13 bit
inline constexpr int kBiasMantMax = 4095;
inline constexpr int kBiasExpMax = 7;     // bias_exp: 3 bit
inline constexpr int kRefractMax = 63;    // refract_delay: 6 bit
inline constexpr int kVminExpMax = 31;    // vmin = -(2^vmin_exp) + 1, vmin_exp 5 bit
inline constexpr int kVmaxExpMax = 7;     // vmax = 2^(9 + 2 vmax_exp) - 1, vmax_exp 3 bit
inline constexpr int kWeightExpMin = -8;  // weight_exp: 4 bit signed, scale 2^(6 + weight_exp)
inline constexpr int kWeightExpMax = 7;
inline constexpr int kWeightShift = 6;      // weight MSB aligned to bit 6 of the accumulator
inline constexpr int kMaxDelay = 62;        // synaptic delay slots (6-bit field, netx and Davies 2018)
inline constexpr int kMaxPayloadBits = 24;  // graded spike payload (Loihi 2 style)

// Synapse sign modes, numbered as in Lava/netx SYNAPSE_SIGN_MODE.
enum class SignMode : uint8_t { Mixed = 1, Excitatory = 2, Inhibitory = 3 };

// ---- Fixed-point helpers ----------------------------------------------------------------------------

// Two's-complement wrap of x to `bits` bits (result in [-2^(bits-1), 2^(bits-1) - 1]).
constexpr int64_t wrap_signed(int64_t x, int bits) {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  const uint64_t low = static_cast<uint64_t>(x) & mask;
  return static_cast<int64_t>(low ^ sign) - static_cast<int64_t>(sign);
}

// floor(x / 2^n) for any sign of x (portable arithmetic shift).
constexpr int64_t floor_shift(int64_t x, int n) { return x >= 0 ? (x >> n) : -((-x + (int64_t{1} << n) - 1) >> n); }

// sign(x) * floor(|x| * (4096 - offset - decay) / 4096): the decay rounds the magnitude toward zero.
// The current decay has offset 1 (Loihi 1's 1-bit ds_offset register); the voltage decay has 0.
constexpr int64_t decay_toward_zero(int64_t x, int decay, int offset) {
  const int64_t factor = (int64_t{1} << kDecayBits) - offset - decay;
  const int64_t mag = ((x < 0 ? -x : x) * factor) >> kDecayBits;
  return x < 0 ? -mag : mag;
}

// ---- Compartment ------------------------------------------------------------------------------------

// Per-compartment configuration in hardware units (Loihi register names).
struct CompartmentParams {
  uint16_t du = 0;            // decayU, 12 bit; effective current factor (4096 - (du + 1)) / 4096
  uint16_t dv = 0;            // decayV, 12 bit; voltage factor (4096 - dv) / 4096
  uint32_t vth_mant = 0;      // vThMant, 17 bit; spike when v > vth_mant << 6
  int16_t bias_mant = 0;      // biasMant, 13 bit signed
  uint8_t bias_exp = 0;       // biasExp, 3 bit; bias = bias_mant << bias_exp
  uint8_t refract_delay = 0;  // refractDelay, 6 bit; r gives r - 1 steps with v forced to 0
  uint8_t vmin_exp = 23;      // vminExp, 5 bit; vmin = -(2^vmin_exp) + 1
  uint8_t vmax_exp = 7;       // vmaxExp, 3 bit; vmax = 2^(9 + 2 vmax_exp) - 1
};

constexpr int64_t bias_value(int bias_mant, int bias_exp) { return int64_t{bias_mant} * (int64_t{1} << bias_exp); }
constexpr int64_t vmin_value(int vmin_exp) { return -(int64_t{1} << vmin_exp) + 1; }
constexpr int64_t vmax_value(int vmax_exp) { return (int64_t{1} << (9 + 2 * vmax_exp)) - 1; }
constexpr int64_t threshold_value(uint32_t vth_mant) { return int64_t{vth_mant} << kVthShift; }

// Per-compartment state; widths as on the chip.
// A sigma-delta compartment (kind sdnn, update_sdnn below) keeps its three registers in the same places:
// u = sigma, v = act, residue = the delta encoder's residue.
struct CompartmentState {
  int32_t u = 0;        // synaptic current, 24-bit two's complement (bias excluded); sdnn: sigma
  int32_t v = 0;        // membrane voltage, clamped to [vmin, vmax]; sdnn: act, the last activation
  int32_t residue = 0;  // sdnn only: the delta encoder's residue (CUBA compartments leave it 0)
  uint8_t refract = 0;  // refractory counter, 6 bit
};

// What one compartment update produced.
struct CompartmentOutput {
  bool spike = false;
  int32_t current = 0;  // u2 = wrap24(u + bias): the current that entered v this step
};

// One timestep of a CUBA compartment (docs/sources.md#neuron), with q the accumulated synaptic
// input for this step (any width: it is wrapped to 22 bits first) and `bias` the effective bias
// (bias_mant << bias_exp, or a bias-table entry). A non-spiking compartment (readout) never fires.
// Defined inline below: the reference simulator and the neurocore call it once per compartment per step.
inline CompartmentOutput update_compartment(CompartmentState& s, const CompartmentParams& p, int64_t q, int64_t bias,
                                            bool can_spike = true);

// Which fixed-point LIF a population computes (docs/netx.md). NengoLoihi: update_compartment (nengo-loihi's
// emulator order). Lava: update_compartment_lava (Lava's bit-accurate LIF, the semantics of lava-dl's netx
// ground truths). They differ only where a value overflows.
enum class Arithmetic : uint8_t { NengoLoihi, Lava };

// One timestep of Lava's fixed-point LIF (docs/sources.md#netx-ground-truth), same registers and result:
//   u = wrapL(decay(u, du + 1) + q), wrapL taking u > 2^23 down by 2^24 and u <= -2^23 up by 2^24 (so the
//       range is (-2^23, 2^23]), q not wrapped to 22 bits (our accumulator register holds it in 32 bits);
//   v = clamp(decay(v, dv) + u + bias, vmin, vmax): the bias enters v directly, u + bias is not wrapped;
//   spike when v > vth_mant << 6, then v = 0. Refractory handling is ours (refract_delay 0 or 1: none, as in
//   Lava's LIF). `current` is u + bias, what entered v.
inline CompartmentOutput update_compartment_lava(CompartmentState& s, const CompartmentParams& p, int64_t q,
                                                 int64_t bias, bool can_spike = true);

// Dispatch on the population's arithmetic: the reference simulator and the neurocore call this.
inline CompartmentOutput update_compartment(Arithmetic a, CompartmentState& s, const CompartmentParams& p, int64_t q,
                                            int64_t bias, bool can_spike) {
  return a == Arithmetic::Lava ? update_compartment_lava(s, p, q, bias, can_spike)
                               : update_compartment(s, p, q, bias, can_spike);
}

// ---- Sigma-delta (SDNN) compartment ---------------------------------------------------------------------

// Lava's fixed-point sigma-delta processes (lava.proc.sdn, docs/sources.md#netx-ground-truth), as lava-dl's
// netx builds them for a layer of `neuron/type` SDNN (docs/netx.md): the input layer is a Delta encoder, the
// last layer a Sigma decoder when the file marks it `sigma_output`, every other layer a SigmaDelta.
enum class SdnnRole : uint8_t {
  SigmaDelta,  // sigma += a_in; act = f(sigma + bias); delta-encode act
  Delta,       // delta-encode act = a_in (an input layer: a_in is the host's frame, not a synaptic sum)
  Sigma,       // sigma += a_in; send sigma every step (a network's graded output)
};
enum class SdnnActivation : uint8_t { Relu, Unit };  // Lava's ActivationMode RELU (netx's 'relu') and UNIT

// Population-wide sigma-delta configuration (Lava's Var names). Lava keeps the state in fixed point
// scaled by 2^(spike_exp + state_exp): a_in of a Delta, the bias and the threshold are shifted up by it,
// and the sent spike is s >> state_exp, so its payload carries spike_exp fractional bits.
struct SdnnParams {
  SdnnRole role = SdnnRole::SigmaDelta;
  SdnnActivation activation = SdnnActivation::Relu;
  uint8_t state_exp = 0;  // 3 bit (Lava precision 3); netx: 6
  uint8_t spike_exp = 0;  // 3 bit (Lava precision 3); netx: 6 (its neuron parameter 'wgt_exp')
};
inline constexpr int kSdnnExpMax = 7;

// One timestep of a sigma-delta compartment; returns the graded spike it sends (0: none). `a_in` is the
// synaptic sum of this step (Lava's Dense/Conv output, sum of w * payload: no << 6, the payload's
// spike_exp fractional bits undo the synapse's alignment) or, for a Delta, the host's input value. `bias`
// is bias_mant << bias_exp, before Lava's scaling. Lava's fixed-point SigmaDelta (the residue form, its
// PySigmaDeltaModelFixed; docs/netx.md compares it with the 'Corrected' model, which it is not):
//   sigma = sigma + a_in                                   (Sigma and SigmaDelta)
//   act'  = relu(sigma + bias << e)  or  a_in << e (Delta), e = spike_exp + state_exp
//   delta = act' - act + residue
//   s     = delta if |delta| >= vth_mant << e else 0       (>=: equality sends)
//   residue = delta - s;  act = act'
//   sent  = floor(s / 2^state_exp)                         (numpy right_shift: toward -infinity)
// A Sigma sends sigma itself. The registers are Lava's int32 arrays (Lava declares precision 24 but does
// not enforce it): values wrap modulo 2^32, as numpy's int32 arithmetic does. No cumulative-error mode
// (Lava's cum_error, off in netx).
inline int32_t update_sdnn(CompartmentState& s, const SdnnParams& sp, uint32_t vth_mant, int64_t a_in, int64_t bias) {
  const auto i32 = [](int64_t x) { return static_cast<int32_t>(wrap_signed(x, 32)); };
  if (sp.role == SdnnRole::Sigma) {
    s.u = i32(int64_t{s.u} + a_in);
    return s.u;
  }
  const int64_t scale = int64_t{1} << (sp.spike_exp + sp.state_exp);
  int64_t act;
  if (sp.role == SdnnRole::Delta) {
    act = i32(a_in * scale);
  } else {
    s.u = i32(int64_t{s.u} + a_in);
    act = i32(int64_t{s.u} + i32(bias * scale));
    if (sp.activation == SdnnActivation::Relu) act = std::max<int64_t>(act, 0);
  }
  const int64_t delta = i32(act - s.v + s.residue);
  const int64_t vth = int64_t{vth_mant} * scale;
  const int64_t sent = (delta < 0 ? -delta : delta) >= vth ? delta : 0;
  s.residue = i32(delta - sent);
  s.v = static_cast<int32_t>(act);
  return static_cast<int32_t>(floor_shift(sent, sp.state_exp));
}

// ---- Periodic state reset ---------------------------------------------------------------------------

// Whether a compartment with a periodic reset (interval > 0) is reset at timestep t (counted from the last
// full reset): at t = offset, offset + interval, offset + 2 interval, ... (lava-dl netx's reset_interval and
// reset_offset). An interval of 0 never resets.
constexpr bool periodic_reset_due(uint64_t t, uint32_t interval, uint32_t offset) {
  return interval > 0 && t >= offset && (t - offset) % interval == 0;
}

// The reset itself, applied before the timestep's update: u, v and the refractory count are zeroed, as in a
// fresh compartment. The dendritic accumulator and the delay slots are not touched: what they hold was sent
// for this timestep or later ones, so a pipelined call that starts at t keeps its own input.
inline void reset_compartment(CompartmentState& s) { s = CompartmentState{}; }

// ---- Synapses ---------------------------------------------------------------------------------------

// Weight format of one projection (Loihi synapse format).
struct WeightFormat {
  int8_t weight_exp = 0;        // -8..7, scale 2^(6 + weight_exp)
  uint8_t num_weight_bits = 8;  // 1..8 stored mantissa bits (sign included for mixed)
  SignMode sign_mode = SignMode::Mixed;
};

// Mantissa range accepted for a sign mode: mixed -256..255, excitatory 0..255, inhibitory -256..0.
int mantissa_min(SignMode m);
int mantissa_max(SignMode m);

// Effective weight added to q per spike (brian2loihi calcActualWeights, docs/sources.md#weights):
//   prec = 2^(8 - num_weight_bits + is_mixed); mt = trunc0(m / prec) * prec;
//   w = floor(mt * 2^weight_exp) * 64, clipped to +-(2^21 - 64).
int32_t effective_weight(int mantissa, const WeightFormat& f);

// Synaptic input of one graded spike: floor(w_eff * payload / 2^payload_frac_bits). A binary spike is
// the payload 1 with 0 fractional bits.
constexpr int64_t graded_contribution(int32_t w_eff, int32_t payload, int payload_frac_bits) {
  return floor_shift(int64_t{w_eff} * payload, payload_frac_bits);
}

// ---- Definitions ------------------------------------------------------------------------------------

// The voltage half of a step, shared by both arithmetics: decay v without offset, integrate the current
// `u_in` (u with the bias), clamp (v saturates, it never wraps), hold at 0 while refractory, fire on a strict
// '>' (equality does not fire) and reset to 0; then store u (without bias) and v.
inline CompartmentOutput integrate_and_fire(CompartmentState& s, const CompartmentParams& p, int64_t u, int64_t u_in,
                                            bool can_spike) {
  int64_t v = decay_toward_zero(s.v, p.dv, 0) + u_in;
  v = std::clamp(v, vmin_value(p.vmin_exp), vmax_value(p.vmax_exp));
  if (s.refract > 0) v = 0;
  CompartmentOutput out;
  out.current = static_cast<int32_t>(u_in);
  if (can_spike && v > threshold_value(p.vth_mant)) {
    out.spike = true;
    v = 0;
    s.refract = p.refract_delay;
  }
  if (s.refract > 0) --s.refract;
  s.u = static_cast<int32_t>(u);
  s.v = static_cast<int32_t>(v);
  return out;
}

inline CompartmentOutput update_compartment(CompartmentState& s, const CompartmentParams& p, int64_t q, int64_t bias,
                                            bool can_spike) {
  // Dendritic accumulator: 21 bits + sign, two's-complement wrap.
  const int64_t q22 = wrap_signed(q, kAccumBits);
  // Current: decay with Loihi 1's +1 offset, add input, wrap to 24 bits. The stored u excludes bias.
  const int64_t u = wrap_signed(decay_toward_zero(s.u, p.du, 1) + q22, kStateBits);
  // Bias enters through u2 only, wrapped again (nengo-loihi order).
  const int64_t u2 = wrap_signed(u + bias, kStateBits);
  // Voltage: integrate u2 (integrate_and_fire).
  return integrate_and_fire(s, p, u, u2, can_spike);
}

inline CompartmentOutput update_compartment_lava(CompartmentState& s, const CompartmentParams& p, int64_t q,
                                                 int64_t bias, bool can_spike) {
  constexpr int64_t kHalf = int64_t{1} << (kStateBits - 1);  // Lava's max_uv_val, 2^23
  int64_t u = decay_toward_zero(s.u, p.du, 1) + q;
  if (u > kHalf)
    u -= 2 * kHalf;
  else if (u <= -kHalf)
    u += 2 * kHalf;
  return integrate_and_fire(s, p, u, u + bias, can_spike);
}

}  // namespace spikemesh
