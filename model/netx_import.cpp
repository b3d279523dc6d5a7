// netx (.net) -> spikemesh network: layer by layer, every number checked to be representable exactly.
#include "netx_import.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "error.h"
#include "h5io.h"
#include "network_file.h"

namespace spikemesh {

namespace {

// Keys of a layer's neuron group that only slayer's training uses; the fixed-point model ignores them, as
// Lava's netx loader does.
const std::set<std::string> kTrainingOnlyNeuronKeys = {"scaleRho", "tauRho", "theta", "refDelay"};
const std::set<std::string> kNeuronKeys = {"type",   "iDecay",      "vDecay",     "vThMant",
                                           "wgtExp", "gradedSpike", "messageBits"};

struct LayerReader {
  const H5File& f;
  int index;
  std::string group;  // "/layer/<index>"

  [[noreturn]] void fail(const std::string& field, const std::string& msg) const {
    throw Error(f.path() + ": layer " + std::to_string(index) + " (" + group + "/" + field + "): " + msg);
  }
  std::string path(const std::string& field) const { return group + "/" + field; }
  bool has(const std::string& field) const { return f.exists(path(field)); }

  // Integral values (netx stores weights and biases as floats holding integers).
  std::vector<int64_t> ints(const std::string& field, Shape* shape = nullptr) const {
    if (!has(field)) fail(field, "missing (required for this layer type)");
    const std::vector<double> r = f.read_reals(path(field), shape);
    std::vector<int64_t> out(r.size());
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] != std::floor(r[i]) || std::abs(r[i]) > 1e15)
        fail(field,
             "expected integer values (fixed-point netx), entry " + std::to_string(i) + " is " + std::to_string(r[i]));
      out[i] = static_cast<int64_t>(r[i]);
    }
    return out;
  }
  int64_t scalar(const std::string& field) const {
    Shape s;
    const auto v = ints(field, &s);
    if (v.size() != 1) fail(field, "expected a single value, found shape " + shape_str(s));
    return v[0];
  }
  // A (y, x) pair stored as two values.
  std::pair<int64_t, int64_t> pair(const std::string& field) const {
    Shape s;
    const auto v = ints(field, &s);
    if (v.size() == 1) return {v[0], v[0]};
    if (v.size() != 2) fail(field, "expected 2 values (y, x), found shape " + shape_str(s));
    return {v[0], v[1]};
  }
  std::string text(const std::string& field) const {
    if (!has(field)) fail(field, "missing");
    return f.read_string(path(field));
  }
};

int64_t checked(const LayerReader& l, const std::string& field, int64_t v, int64_t lo, int64_t hi,
                const std::string& what) {
  if (v < lo || v > hi)
    l.fail(field, "value " + std::to_string(v) + " out of range " + std::to_string(lo) + ".." + std::to_string(hi) +
                      " (" + what + ")");
  return v;
}

// Neuron parameters of a LOIHI / CUBA layer. Lava's netx builds a LIF process with du = iDecay - 1 (and
// the LIF adds its ds_offset 1 back), dv = vDecay, vth = vThMant, bias_exp = 6: the same registers as ours.
CompartmentParams neuron_params(const LayerReader& l) {
  const std::string type = l.text("neuron/type");
  if (type != "LOIHI" && type != "CUBA")
    l.fail("neuron/type", "unsupported neuron type '" + type + "' (supported: LOIHI, CUBA, SDNN)");
  for (const std::string& k : l.f.children(l.path("neuron")))
    if (!kNeuronKeys.count(k) && !kTrainingOnlyNeuronKeys.count(k))
      l.fail("neuron/" + k,
             "unsupported neuron field (supported: type, iDecay, vDecay, vThMant, wgtExp, messageBits 0..24, "
             "gradedSpike; ignored as in Lava: scaleRho, tauRho, theta, refDelay)");
  CompartmentParams p;
  p.du = static_cast<uint16_t>(checked(l, "neuron/iDecay", l.scalar("neuron/iDecay"), 1, 4096, "iDecay = du + 1") - 1);
  p.dv = static_cast<uint16_t>(checked(l, "neuron/vDecay", l.scalar("neuron/vDecay"), 0, kDecayMax, "vDecay"));
  p.vth_mant =
      static_cast<uint32_t>(checked(l, "neuron/vThMant", l.scalar("neuron/vThMant"), 0, kVthMantMax, "vThMant"));
  p.bias_exp = 6;       // netx fixes the bias exponent at 6
  p.refract_delay = 0;  // Lava's LIF has no refractory period (refDelay is a training parameter)
  if (l.has("neuron/wgtExp") && l.scalar("neuron/wgtExp") != 0)
    l.fail("neuron/wgtExp", "value " + std::to_string(l.scalar("neuron/wgtExp")) + " not supported (supported: 0)");
  // Graded output: Lava's bit-accurate LIF sends v > vth, 0 or 1, whatever `messageBits` says; netx passes
  // messageBits on so that the next layer's Dense or Conv takes its input as graded (a = W . s instead of the
  // sum of W's columns where s is set): for s in {0, 1} the same sum. `gradedSpike` netx does not read.
  // Both are checked and imported as binary spikes (docs/netx.md#graded-lif-spikes).
  if (l.has("neuron/messageBits")) checked(l, "neuron/messageBits", l.scalar("neuron/messageBits"), 0, 24, "bits");
  if (l.has("neuron/gradedSpike")) l.f.read_bool(l.path("neuron/gradedSpike"));
  return p;
}

// An SDNN layer as lava-dl's netx builds it (docs/netx.md): the input layer a Delta encoder, a layer whose
// neuron group has `sigma_output` a Sigma decoder, any other a SigmaDelta with ReLU; state_exp 6 and
// spike_exp 6 (netx passes the latter as 'wgt_exp'), so the graded payload carries 6 fractional bits,
// which undo the synapse's << 6: a_in = sum of w * payload, as Lava's Dense and Conv compute it.
struct SdnnLayer {
  SdnnParams sdnn;
  CompartmentParams params;  // vth_mant; bias_mant from the layer's bias (bias_exp 0: Lava scales it)
};
SdnnLayer sdnn_neuron(const LayerReader& l, bool input_layer) {
  const std::set<std::string> keys = {"type", "activation", "vThMant", "sigma_output"};
  for (const std::string& k : l.f.children(l.path("neuron")))
    if (!keys.count(k))
      l.fail("neuron/" + k,
             "unsupported field of an SDNN neuron (supported: type, activation relu, vThMant, "
             "sigma_output)");
  const std::string act = l.text("neuron/activation");
  if (act != "relu") l.fail("neuron/activation", "unsupported activation '" + act + "' (supported: relu)");
  SdnnLayer out;
  out.sdnn.state_exp = 6;
  out.sdnn.spike_exp = 6;
  const bool sigma = l.has("neuron/sigma_output") && l.f.read_bool(l.path("neuron/sigma_output"));
  out.sdnn.role = input_layer ? SdnnRole::Delta : sigma ? SdnnRole::Sigma : SdnnRole::SigmaDelta;
  if (sigma && input_layer) l.fail("neuron/sigma_output", "an input layer cannot be a sigma decoder");
  if (out.sdnn.role != SdnnRole::Sigma)  // Lava's Sigma has no threshold (netx does not pass vThMant to it)
    out.params.vth_mant =
        static_cast<uint32_t>(checked(l, "neuron/vThMant", l.scalar("neuron/vThMant"), 0, kVthMantMax, "vThMant"));
  if (input_layer)
    for (const char* k : {"weight", "bias"})
      if (l.has(k))
        l.fail(k,
               "an SDNN input layer's input transform (2 weight x - weight + bias) is not supported: the "
               "stimulus is its a_in (supported: no weight, no bias)");
  if (sigma && l.has("bias")) l.fail("bias", "a sigma_output layer takes no bias (Lava's Sigma has none)");
  out.params.bias_exp = 0;
  out.params.refract_delay = 0;
  return out;
}

// Per-neuron bias mantissas from a per-channel (or single) netx bias over a (C, H, W) population.
std::vector<CompartmentParams> biased(const LayerReader& l, const CompartmentParams& base, uint64_t channels,
                                      uint64_t per_channel) {
  if (!l.has("bias")) return {base};
  Shape s;
  const auto b = l.ints("bias", &s);
  if (b.size() != 1 && b.size() != channels)
    l.fail("bias",
           "expected 1 or " + std::to_string(channels) + " values (one per channel), found shape " + shape_str(s));
  for (size_t i = 0; i < b.size(); ++i) checked(l, "bias", b[i], kBiasMantMin, kBiasMantMax, "biasMant, 13 bit signed");
  if (b.size() == 1) {
    CompartmentParams p = base;
    p.bias_mant = static_cast<int16_t>(b[0]);
    return {p};
  }
  std::vector<CompartmentParams> out(channels * per_channel, base);
  for (uint64_t i = 0; i < out.size(); ++i) out[i].bias_mant = static_cast<int16_t>(b[i / per_channel]);
  return out;
}

// Stores weights w (effective weight w * 64, as Lava's LIF shifts its input by 6) exactly in our synapse
// format: the sign mode Lava's netx picks, 8 bits; odd mixed weights (our 8-bit mixed mantissa drops its
// LSB) are stored doubled with weight_exp -1.
void set_weights(const LayerReader& l, const std::vector<int64_t>& w, Projection& pr) {
  const int64_t lo = *std::min_element(w.begin(), w.end());
  const int64_t hi = *std::max_element(w.begin(), w.end());
  pr.format.num_weight_bits = 8;
  pr.format.weight_exp = 0;
  pr.format.sign_mode = hi < 0 ? SignMode::Inhibitory : lo >= 0 ? SignMode::Excitatory : SignMode::Mixed;
  const bool odd = std::any_of(w.begin(), w.end(), [](int64_t x) { return x % 2 != 0; });
  int scale = 1;
  if (pr.format.sign_mode == SignMode::Mixed && odd) {
    if (lo < -128 || hi > 127)
      l.fail("weight", "odd mixed-sign weights must lie in -128..127 to be exact, found " + std::to_string(lo) + ".." +
                           std::to_string(hi));
    scale = 2;
    pr.format.weight_exp = -1;
  }
  pr.weights.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const int64_t m = w[i] * scale;
    if (m < mantissa_min(pr.format.sign_mode) || m > mantissa_max(pr.format.sign_mode))
      l.fail("weight", "weight " + std::to_string(w[i]) + " out of the 8-bit synapse range -256..255");
    pr.weights[i] = static_cast<int16_t>(m);
  }
}

std::vector<uint32_t> shape_of(const LayerReader& l, bool vector_ok) {
  Shape s;
  const auto v = l.ints("shape", &s);
  if (v.size() != 3 && !(vector_ok && v.size() == 1))
    l.fail("shape", std::string("expected ") + (vector_ok ? "1 value (N) or " : "") +
                        "3 values (C, H, W), found shape " + shape_str(s));
  std::vector<uint32_t> out;
  for (int64_t x : v) out.push_back(static_cast<uint32_t>(checked(l, "shape", x, 1, 1 << 24, "a size")));
  return out;
}

// Number of values in a shape, saturating at 2^48 (each dimension is at most 2^24; enough to reject).
uint64_t product(const std::vector<uint32_t>& shape) {
  constexpr uint64_t kCap = uint64_t{1} << 48;
  uint64_t n = 1;
  for (uint32_t d : shape) n = d != 0 && n > kCap / d ? kCap : n * d;
  return n;
}

// Projection into the layer being read from the population before it.
Projection projection_into(const Network& net, size_t layer, const std::string& source_name) {
  Projection pr;
  pr.name = source_name + "_to_layer" + std::to_string(layer);
  pr.source = static_cast<uint32_t>(net.populations.size() - 1);
  pr.target = static_cast<uint32_t>(net.populations.size());
  return pr;
}

void read_conv(const LayerReader& l, const Population& src, const Population& pop, Projection& pr) {
  Shape ws;
  const auto w = l.ints("weight", &ws);
  if (!(ws.size() == 4 || (ws.size() == 5 && ws[4] == 1)))
    l.fail("weight", "expected shape (C_out, C_in / groups, kh, kw) or (C_out, C_in / groups, kh, kw, 1), found " +
                         shape_str(ws));
  if (src.shape.size() != 3)
    l.fail("type", "a conv layer needs a (C, H, W) layer before it, found " + src.name + " of " +
                       std::to_string(src.shape.size()) + " dimension(s)");
  const auto [sy, sx] = l.pair("stride");
  const auto [dy, dx] = l.pair("dilation");
  const auto [py, px] = l.pair("padding");
  pr.encoding = Encoding::Conv;
  pr.conv.kernel_h = static_cast<uint32_t>(ws[2]);
  pr.conv.kernel_w = static_cast<uint32_t>(ws[3]);
  pr.conv.stride_y = static_cast<uint32_t>(checked(l, "stride", sy, 1, 64, "stride"));
  pr.conv.stride_x = static_cast<uint32_t>(checked(l, "stride", sx, 1, 64, "stride"));
  pr.conv.pad_y = static_cast<uint32_t>(checked(l, "padding", py, 0, 64, "padding"));
  pr.conv.pad_x = static_cast<uint32_t>(checked(l, "padding", px, 0, 64, "padding"));
  pr.conv.dilation_y = static_cast<uint32_t>(checked(l, "dilation", dy, 1, 64, "dilation"));
  pr.conv.dilation_x = static_cast<uint32_t>(checked(l, "dilation", dx, 1, 64, "dilation"));
  pr.conv.groups =
      static_cast<uint32_t>(l.has("groups") ? checked(l, "groups", l.scalar("groups"), 1, 1 << 16, "groups") : 1);
  if (ws[0] != pop.shape[0] || ws[1] * pr.conv.groups != src.shape[0])
    l.fail("weight", "shape " + shape_str(ws) + " does not fit " + std::to_string(src.shape[0]) + " -> " +
                         std::to_string(pop.shape[0]) + " channels with groups " + std::to_string(pr.conv.groups));
  const ConvGeometry& g = pr.conv;
  const int64_t oh = conv_out_size(src.shape[1], 1, g.pad_y, g.kernel_h, g.stride_y, g.dilation_y);
  const int64_t ow = conv_out_size(src.shape[2], 1, g.pad_x, g.kernel_w, g.stride_x, g.dilation_x);
  if (oh != pop.shape[1] || ow != pop.shape[2]) {
    auto yx = [](int64_t y, int64_t x) { return "(" + std::to_string(y) + ", " + std::to_string(x) + ")"; };
    l.fail("shape", "a " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + " conv with stride " +
                        yx(g.stride_y, g.stride_x) + ", padding " + yx(g.pad_y, g.pad_x) + " and dilation " +
                        yx(g.dilation_y, g.dilation_x) + " maps the layer before's " + yx(src.shape[1], src.shape[2]) +
                        " pixels to " + yx(oh, ow) + ", this layer has " + yx(pop.shape[1], pop.shape[2]));
  }
  set_weights(l, w, pr);
}

// Dense weights (N_out, N_in), or (N_in) for one output neuron as netx allows; N_in is the flattened
// size of the layer before (netx flattens a (C, H, W) map in C, H, W order, our neuron order).
void read_dense(const LayerReader& l, uint64_t n_in, uint64_t n_out, Projection& pr,
                std::vector<std::string>& warnings) {
  Shape ws;
  const auto w = l.ints("weight", &ws);
  const bool fits =
      (ws.size() == 2 && ws[0] == n_out && ws[1] == n_in) || (ws.size() == 1 && n_out == 1 && ws[0] == n_in);
  if (!fits)
    l.fail("weight", "expected shape (" + std::to_string(n_out) + ", " + std::to_string(n_in) +
                         ") (outputs of this layer, inputs from the layer before), found " + shape_str(ws));
  for (const char* k : {"inFeatures", "outFeatures"})
    if (l.has(k) && l.scalar(k) != static_cast<int64_t>(k[0] == 'i' ? n_in : n_out))
      l.fail(k, "value " + std::to_string(l.scalar(k)) + " does not match the weight shape " + shape_str(ws));
  pr.encoding = Encoding::Dense;
  const LavaDenseWeights lw = lava_dense_weights(w);
  if (!lw.problem.empty()) l.fail("weight", lw.problem);
  if (lw.clipped > 0)
    warnings.push_back(l.f.path() + ": layer " + std::to_string(l.index) + " (" + l.path("weight") +
                       "): " + std::to_string(lw.clipped) +
                       " weights clipped to -256..254 as lava-dl's optimize_weight_bits does");
  set_weights(l, lw.effective, pr);
}

// A layer's axonal delays (slayer's `delay`: floor of the trained delay, one per neuron or, for a (C, H, W)
// layer, one per channel), expanded to one per neuron of `pop`. Empty when the layer has none.
std::vector<uint8_t> axonal_delays(const LayerReader& l, const Population& pop) {
  if (!l.has("delay")) return {};
  Shape s;
  const auto d = l.ints("delay", &s);
  const uint64_t n = pop.size(), channels = pop.shape[0];
  if (d.size() != n && d.size() != channels)
    l.fail("delay", "expected " + std::to_string(n) + " values (one per neuron)" +
                        (pop.shape.size() == 3 ? " or " + std::to_string(channels) + " (one per channel)" : "") +
                        ", found shape " + shape_str(s));
  std::vector<uint8_t> out(n);
  for (uint64_t i = 0; i < n; ++i)
    out[i] = static_cast<uint8_t>(checked(l, "delay", d[d.size() == n ? i : i / (n / channels)], 0, kMaxDelay,
                                          "axonal delay in timesteps, netx's limit"));
  return out;
}

// Puts the source layer's axonal delays on every synapse of `pr` (a spike of source neuron j at t reaches the
// target at t + 1 + delay[j]). A conv shares its kernel over the source's pixels, so its source's delays must
// be one per channel.
void apply_axonal_delays(const LayerReader& source_layer, const Population& src, const Population& dst,
                         const std::vector<uint8_t>& delays, Projection& pr) {
  std::vector<uint8_t> per_weight(pr.weights.size());
  if (pr.encoding == Encoding::Dense) {
    for (uint64_t k = 0; k < per_weight.size(); ++k) per_weight[k] = delays[k % src.size()];
  } else {
    const uint64_t plane = uint64_t{src.shape[1]} * src.shape[2];
    for (uint64_t i = 0; i < delays.size(); ++i)
      if (delays[i] != delays[i - i % plane])
        source_layer.fail("delay", "per-neuron delays differ within channel " + std::to_string(i / plane) +
                                       ", which feeds a conv layer (its kernel is shared over the pixels: "
                                       "supported: one delay per channel)");
    // Kernel entry k = ((co * cin_per_group) + ci_local) * taps + tap; input channel of group co / cout_per_group.
    const uint64_t cin_g = src.shape[0] / pr.conv.groups, cout_g = dst.shape[0] / pr.conv.groups;
    const uint64_t taps = uint64_t{pr.conv.kernel_h} * pr.conv.kernel_w;
    for (uint64_t k = 0; k < per_weight.size(); ++k) {
      const uint64_t co = k / (cin_g * taps), ci = co / cout_g * cin_g + k / taps % cin_g;
      per_weight[k] = delays[ci * plane];
    }
  }
  const bool uniform = std::all_of(per_weight.begin(), per_weight.end(), [&](uint8_t x) { return x == per_weight[0]; });
  pr.delays = uniform ? std::vector<uint8_t>{per_weight[0]} : std::move(per_weight);
}

}  // namespace

LavaDenseWeights lava_dense_weights(std::vector<int64_t> w) {
  LavaDenseWeights out;
  if (w.empty()) return out;
  const auto [lo_it, hi_it] = std::minmax_element(w.begin(), w.end());
  int64_t lo = *lo_it, hi = *hi_it;
  if (lo == 0 && hi == 0) {  // no input at all (optimize_weight_bits has no scale for it)
    out.effective = std::move(w);
    out.sign_mode = SignMode::Excitatory;
    return out;
  }
  // lava-dl clips a mixed-sign matrix it cannot fit to -256..254.
  if ((hi > 254 && lo < 0) || (lo < -256 && hi > 0)) {
    out.clipped =
        static_cast<uint64_t>(std::count_if(w.begin(), w.end(), [](int64_t x) { return x < -256 || x > 254; }));
    for (int64_t& x : w) x = std::clamp<int64_t>(x, -256, 254);
    lo = std::max<int64_t>(lo, -256);
    hi = std::min<int64_t>(hi, 254);
  }
  const SignMode mode = hi < 0 ? SignMode::Inhibitory : lo >= 0 ? SignMode::Excitatory : SignMode::Mixed;
  const int is_signed = mode == SignMode::Mixed ? 1 : 0;
  out.sign_mode = mode;
  // scale_bits = floor(log2(scale)) + is_signed, scale = min(127 / max, -128 / min) (mixed), -256 / min
  // (inhibitory) or 255 / max (excitatory); floor(log2(scale)) is the largest s with 2^s <= scale.
  auto fits = [&](int s) {
    auto le = [&](int64_t num, int64_t den) {
      return s >= 0 ? (den << s) <= num : den <= (num << -s);
    };  // 2^s <= num/den
    if (mode == SignMode::Mixed) return (hi <= 0 || le(127, hi)) && le(128, -lo);
    if (mode == SignMode::Inhibitory) return le(256, -lo);
    return le(255, hi);
  };
  int scale_bits = -40;
  while (fits(scale_bits + 1)) ++scale_bits;
  scale_bits += is_signed;
  out.scale_bits = scale_bits;
  if (scale_bits < 0) {
    out.problem = "weights " + std::to_string(lo) + ".." + std::to_string(hi) +
                  " exceed the 8-bit synapse range (supported: -256..255, as netx's optimize_weight_bits)";
    return out;
  }
  int n = 8;  // the largest n <= 8 with every weight a multiple of 2^n
  while (n > 0 && std::any_of(w.begin(), w.end(), [&](int64_t x) { return x % (int64_t{1} << n) != 0; })) --n;
  n -= is_signed;
  out.num_weight_bits = 8 - scale_bits - n;
  // Lava's Dense: clip_weights (8 bits), truncate_weights (drop 8 - num_weight_bits + is_mixed LSBs of the
  // magnitude of inhibitory weights), then the accumulated sum >> scale_bits (weight_exp = -scale_bits).
  const int truncate = 8 - out.num_weight_bits + is_signed;
  if (truncate < 0 || truncate > 16) {
    out.problem = "netx's optimize_weight_bits gives num_weight_bits " + std::to_string(out.num_weight_bits) +
                  ", which Lava's Dense cannot truncate to (supported: 8 - num_weight_bits + mixed in 0..16)";
    return out;
  }
  out.effective.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    int64_t x = w[i] * (int64_t{1} << scale_bits);
    if (mode == SignMode::Inhibitory) x = -x;
    x = std::clamp<int64_t>(x, mode == SignMode::Mixed ? -256 : 0, 255);
    x = floor_shift(x, truncate) * (int64_t{1} << truncate);
    if (mode == SignMode::Inhibitory) x = -x;
    // Lava shifts the sum, we shift each synapse: the same only when every weight is a multiple of 2^scale_bits.
    if (floor_shift(x, scale_bits) * (int64_t{1} << scale_bits) != x) {
      out.problem = "weight " + std::to_string(w[i]) + " becomes " + std::to_string(x) + " >> " +
                    std::to_string(scale_bits) +
                    " in Lava's Dense, which shifts the summed input, not each synapse: not representable exactly";
      out.effective.clear();
      return out;
    }
    out.effective[i] = floor_shift(x, scale_bits);
  }
  return out;
}

Network import_netx(const std::string& path, const NetxOptions& options) {
  const H5File f = H5File::open_read(path);
  if (!f.is_group("/layer")) f.fail("/layer", "missing group: not a netx network (expected /layer/0, /layer/1, ...)");
  const size_t n_layers = f.children("/layer").size();
  Network net;
  net.metadata.producer = "spikemesh netx import";
  net.metadata.attributes["netx_source"] = path;
  options.check(path + ": ", [](const std::string& field) { return field; });
  bool flatten_pending = false;
  std::vector<std::string> warnings;
  // Axonal delays of the layer just read, one per neuron, for the projection out of it (docs/netx.md).
  std::vector<uint8_t> pending_delays;
  int delay_layer = -1;
  auto take_delays = [&](const LayerReader& l, const Population& pop) {
    std::vector<uint8_t> d = axonal_delays(l, pop);
    if (d.empty()) return;
    const std::string at = f.path() + ": layer " + std::to_string(l.index) + " (" + l.path("delay") + "): ";
    if (options.axonal_delays == "ignore") {
      warnings.push_back(at + "axonal delays ignored, as Lava's netx builds the network (axonal_delays: ignore)");
      return;
    }
    warnings.push_back(at +
                       "axonal delays applied as slayer trained them; Lava's netx drops them (axonal_delays: "
                       "ignore reproduces Lava)");
    pending_delays = std::move(d);
    delay_layer = l.index;
  };
  for (size_t i = 0; i < n_layers; ++i) {
    const LayerReader l{f, static_cast<int>(i), "/layer/" + std::to_string(i)};
    if (!f.is_group(l.group))
      f.fail(l.group, "missing group: layers must be numbered 0.." + std::to_string(n_layers - 1));
    const std::string type = l.text("type");
    if (type != "input" && type != "conv" && type != "dense" && type != "flatten")
      l.fail("type", "unsupported layer type '" + type + "' (supported: input, conv, dense, flatten)");
    if (type == "flatten") {
      if (l.has("delay")) l.fail("delay", "a flatten layer has no neurons to delay");
      // netx's flatten only reorders: the next dense layer reads the map flattened in (C, H, W) order.
      if (net.populations.empty()) l.fail("type", "a flatten layer needs a layer before it");
      if (product(shape_of(l, true)) != net.populations.back().size())
        l.fail("shape", "flattens " + std::to_string(product(shape_of(l, true))) + " values, the layer before has " +
                            std::to_string(net.populations.back().size()));
      flatten_pending = true;
      continue;
    }
    if (flatten_pending && type != "dense") l.fail("type", "a flatten layer must be followed by a dense layer");
    flatten_pending = false;
    Population pop;
    pop.name = "layer" + std::to_string(i);
    pop.kind = NeuronKind::Cuba;
    pop.arithmetic = Arithmetic::Lava;  // Lava's fixed-point LIF, the semantics netx networks were run with
    pop.shape = shape_of(l, type == "dense");
    if (type == "dense")  // netx: (prod(shape),)
      pop.shape = {static_cast<uint32_t>(
          checked(l, "shape", static_cast<int64_t>(product(pop.shape)), 1, 1 << 24, "neurons of a dense layer"))};
    const uint64_t plane = pop.shape.size() == 3 ? uint64_t{pop.shape[1]} * pop.shape[2] : 1;
    const bool sdnn = l.text("neuron/type") == "SDNN";
    if (i > 0 && !net.populations.empty() && sdnn != (net.populations.back().kind == NeuronKind::Sdnn))
      l.fail("neuron/type", std::string(sdnn ? "an SDNN layer after a LIF" : "a LIF layer after an SDNN") +
                                " layer: mixed networks are not supported (supported: all SDNN or all LOIHI/CUBA)");
    CompartmentParams base;
    if (sdnn) {
      if (type != "input" && net.populations.empty())
        l.fail("type", "an SDNN network must start with an input layer (its delta encoder takes the frame)");
      const SdnnLayer sl = sdnn_neuron(l, type == "input");
      pop.kind = NeuronKind::Sdnn;
      pop.sdnn = sl.sdnn;
      pop.payload_bits = kMaxPayloadBits;
      pop.payload_frac_bits = sl.sdnn.spike_exp;
      base = sl.params;
    } else {
      base = neuron_params(l);
    }
    if (type == "input") {
      if (i != 0) l.fail("type", "an input layer must be layer 0");
      pop.params = biased(l, base, pop.shape[0], plane);
      take_delays(l, pop);
      net.populations.push_back(std::move(pop));
      continue;
    }
    if (net.populations.empty()) {
      if (type != "dense")
        l.fail("type",
               "layer 0 must be of type 'input' or 'dense', found '" + type + "' (a conv needs its input shape)");
      // netx's Network feeds its input port straight into a first dense layer's synapses: spikes from
      // outside, here an input population `input` driven by the stimulus (/inputs/input).
      Shape ws;
      l.ints("weight", &ws);
      if (ws.empty() || ws.size() > 2 || ws.back() < 1 || ws.back() > (1u << 24))
        l.fail("weight", "expected shape (N_out, N_in), found " + shape_str(ws));
      Population in;
      in.name = "input";
      in.kind = NeuronKind::Input;
      in.shape = {static_cast<uint32_t>(ws.back())};
      net.populations.push_back(std::move(in));
    }
    const Population& src = net.populations.back();
    Projection pr = projection_into(net, i, src.name);
    if (type == "conv")
      read_conv(l, src, pop, pr);
    else
      read_dense(l, src.size(), pop.size(), pr, warnings);
    if (!pending_delays.empty()) {
      apply_axonal_delays(LayerReader{f, delay_layer, "/layer/" + std::to_string(delay_layer)}, src, pop,
                          pending_delays, pr);
      pending_delays.clear();
    }
    pop.params = biased(l, base, pop.shape[0], plane);
    take_delays(l, pop);
    net.populations.push_back(std::move(pop));
    net.projections.push_back(std::move(pr));
  }
  if (!pending_delays.empty())
    LayerReader{f, delay_layer, "/layer/" + std::to_string(delay_layer)}.fail(
        "delay",
        "axonal delays on the last layer: its spikes leave the network, no synapse carries them (supported: "
        "delays on a layer that another layer reads, or --axonal-delays ignore)");
  if (flatten_pending) f.fail("/layer", "the last layer is a flatten layer: nothing reads it");
  if (net.populations.empty()) f.fail("/layer", "no layers");
  if (options.reset_interval > 0) {
    // lava-dl gives neuron layer k a LIFReset with reset_offset O + 1 + k, which zeroes u and v before its update
    // at Lava time step ts (counted from 1) with ts % R == (O + 1 + k) % R (docs/sources.md#netx-ground-truth):
    // before our timestep t = ts - 1 with t % R == (O + k) % R, the population's periodic reset with that offset.
    const uint32_t r = options.reset_interval;
    uint64_t k = 0;
    for (auto& p : net.populations) {
      if (p.kind == NeuronKind::Input) continue;  // the stimulus's population before a first dense layer: no state
      if (p.kind == NeuronKind::Sdnn)
        throw Error(path + ": reset interval " + std::to_string(r) +
                    ": Lava does not reset sigma-delta neurons (lava-dl ignores the reset with a warning)");
      p.reset_interval = r;
      p.reset_offset = static_cast<uint32_t>((options.reset_offset + k++) % r);
    }
  }
  if (!warnings.empty()) {
    std::string all;
    for (const auto& w : warnings) all += (all.empty() ? "" : "\n") + w;
    net.metadata.attributes["netx_warnings"] = all;
  }
  validate(net, path);
  return net;
}

}  // namespace spikemesh
