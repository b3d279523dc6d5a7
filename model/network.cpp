// Network description helpers and validation; see network.h.
#include "network.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "error.h"

namespace spikemesh {

const char* to_string(NeuronKind k) {
  switch (k) {
    case NeuronKind::Cuba:
      return "cuba";
    case NeuronKind::Input:
      return "input";
    case NeuronKind::Readout:
      return "readout";
    case NeuronKind::Sdnn:
      return "sdnn";
  }
  return "?";
}
const char* to_string(SdnnRole r) {
  switch (r) {
    case SdnnRole::SigmaDelta:
      return "sigma_delta";
    case SdnnRole::Delta:
      return "delta";
    case SdnnRole::Sigma:
      return "sigma";
  }
  return "?";
}
const char* to_string(SdnnActivation a) { return a == SdnnActivation::Relu ? "relu" : "unit"; }
bool parse(const std::string& s, SdnnRole& out) {
  for (auto r : {SdnnRole::SigmaDelta, SdnnRole::Delta, SdnnRole::Sigma})
    if (s == to_string(r)) return out = r, true;
  return false;
}
bool parse(const std::string& s, SdnnActivation& out) {
  for (auto a : {SdnnActivation::Relu, SdnnActivation::Unit})
    if (s == to_string(a)) return out = a, true;
  return false;
}
const char* to_string(Encoding e) {
  switch (e) {
    case Encoding::Dense:
      return "dense";
    case Encoding::Sparse:
      return "sparse";
    case Encoding::Conv:
      return "conv";
    case Encoding::OneToOne:
      return "one_to_one";
  }
  return "?";
}
const char* to_string(SignMode m) {
  switch (m) {
    case SignMode::Mixed:
      return "mixed";
    case SignMode::Excitatory:
      return "excitatory";
    case SignMode::Inhibitory:
      return "inhibitory";
  }
  return "?";
}
const char* to_string(Arithmetic a) { return a == Arithmetic::Lava ? "lava" : "nengo-loihi"; }
bool parse(const std::string& s, Arithmetic& out) {
  for (auto a : {Arithmetic::NengoLoihi, Arithmetic::Lava})
    if (s == to_string(a)) return out = a, true;
  return false;
}
bool parse(const std::string& s, NeuronKind& out) {
  for (auto k : {NeuronKind::Cuba, NeuronKind::Input, NeuronKind::Readout, NeuronKind::Sdnn})
    if (s == to_string(k)) return out = k, true;
  return false;
}
bool parse(const std::string& s, Encoding& out) {
  for (auto e : {Encoding::Dense, Encoding::Sparse, Encoding::Conv, Encoding::OneToOne})
    if (s == to_string(e)) return out = e, true;
  return false;
}
bool parse(const std::string& s, SignMode& out) {
  for (auto m : {SignMode::Mixed, SignMode::Excitatory, SignMode::Inhibitory})
    if (s == to_string(m)) return out = m, true;
  return false;
}

uint64_t Population::size() const {
  if (shape.empty()) return 0;
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int64_t Population::bias_at(uint32_t context, uint64_t t, uint64_t i) const {
  if (t < bias_start) return 0;
  const CompartmentParams& q = param(i);
  if (!has_bias_table()) return bias_value(q.bias_mant, q.bias_exp);
  return bias_value(bias_mant_at(context, t, bias_column(i)), q.bias_exp);
}

int32_t Population::bias_mant_at(uint32_t context, uint64_t t, uint64_t column) const {
  if (t < bias_start) return 0;
  const uint64_t ctx = std::min<uint64_t>(context, bias_contexts - 1);
  const uint64_t phase = std::min<uint64_t>(t - bias_start, bias_phases - 1);
  return bias_table[(ctx * bias_phases + phase) * bias_columns + column];
}

std::vector<uint64_t> population_offsets(const Network& net) {
  std::vector<uint64_t> off(net.populations.size() + 1, 0);
  for (size_t p = 0; p < net.populations.size(); ++p) off[p + 1] = off[p] + net.populations[p].size();
  return off;
}

int Network::find(const std::string& name) const {
  for (size_t i = 0; i < populations.size(); ++i)
    if (populations[i].name == name) return static_cast<int>(i);
  return -1;
}

uint64_t Network::total_neurons() const {
  uint64_t n = 0;
  for (const auto& p : populations) n += p.size();
  return n;
}

uint32_t limit_weight_bits(Network& net, uint8_t bits) {
  uint32_t changed = 0;
  for (auto& pr : net.projections)
    if (pr.format.num_weight_bits > bits) {
      pr.format.num_weight_bits = bits;
      ++changed;
    }
  return changed;
}

int64_t conv_out_size(int64_t in, uint32_t upsample, uint32_t pad, uint32_t kernel, uint32_t stride,
                      uint32_t dilation) {
  const int64_t span = in * upsample + 2 * int64_t{pad} - (int64_t{dilation} * (kernel - 1) + 1);
  return span < 0 ? 0 : span / stride + 1;
}

uint64_t Network::total_synapses() const {
  uint64_t n = 0;
  for (const auto& pr : projections) {
    if (pr.encoding != Encoding::Conv) {
      n += pr.encoding == Encoding::OneToOne ? populations[pr.target].size() : pr.weights.size();
      continue;
    }
    // Every (output neuron, kernel tap) pair that lands inside the upsampled, padded source.
    const auto& src = populations[pr.source].shape;
    const auto& dst = populations[pr.target].shape;
    const auto& g = pr.conv;
    const uint64_t per_out = (src[0] / g.groups);
    for (uint32_t oy = 0; oy < dst[1]; ++oy)
      for (uint32_t ox = 0; ox < dst[2]; ++ox)
        for (uint32_t ky = 0; ky < g.kernel_h; ++ky)
          for (uint32_t kx = 0; kx < g.kernel_w; ++kx) {
            const int64_t y = int64_t{oy} * g.stride_y - g.pad_y + int64_t{ky} * g.dilation_y,
                          x = int64_t{ox} * g.stride_x - g.pad_x + int64_t{kx} * g.dilation_x;
            if (y >= 0 && x >= 0 && y < int64_t{src[1]} * g.upsample && x < int64_t{src[2]} * g.upsample)
              n += per_out * dst[0];
          }
  }
  return n;
}

namespace {

// Collects the location prefix for messages: "<where>: /populations/3/neuron/du: ...".
struct Checker {
  std::string where;
  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw Error(where + ": " + path + ": " + msg);
  }
  void range(const std::string& path, int64_t v, int64_t lo, int64_t hi, const std::string& what) const {
    if (v < lo || v > hi) {
      std::ostringstream os;
      os << "value " << v << " out of range: expected " << what << " in [" << lo << ", " << hi << "]";
      fail(path, os.str());
    }
  }
};

std::string pop_path(size_t i) { return "/populations/" + std::to_string(i); }
std::string proj_path(size_t i) { return "/projections/" + std::to_string(i); }

void validate_population(const Checker& c, const Population& p, size_t i, std::set<std::string>& names) {
  const std::string at = pop_path(i);
  if (p.name.empty()) c.fail(at + "/name", "empty population name");
  if (!names.insert(p.name).second) c.fail(at + "/name", "duplicate population name '" + p.name + "'");
  if (p.shape.size() != 1 && p.shape.size() != 3)
    c.fail(at + "/shape", "expected 1 entry (N) or 3 entries (C, H, W), got " + std::to_string(p.shape.size()));
  for (auto d : p.shape)
    if (d == 0) c.fail(at + "/shape", "every dimension must be at least 1");
  const uint64_t n = p.size();
  if (n >= (uint64_t{1} << 26)) c.fail(at + "/shape", "population too large: at most 2^26 - 1 neurons");
  if (p.params.size() != 1 && p.params.size() != n)
    c.fail(at + "/neuron",
           "expected parameters for 1 or " + std::to_string(n) + " neurons, got " + std::to_string(p.params.size()));
  for (size_t k = 0; k < p.params.size(); ++k) {
    const auto& q = p.params[k];
    const std::string np = at + "/neuron/";
    c.range(np + "du", q.du, 0, kDecayMax, "du (12-bit decay)");
    c.range(np + "dv", q.dv, 0, kDecayMax, "dv (12-bit decay)");
    c.range(np + "vth_mant", q.vth_mant, 0, kVthMantMax, "vth_mant (17-bit)");
    c.range(np + "bias_mant", q.bias_mant, kBiasMantMin, kBiasMantMax, "bias_mant (13-bit signed)");
    c.range(np + "bias_exp", q.bias_exp, 0, kBiasExpMax, "bias_exp (3-bit)");
    c.range(np + "refract_delay", q.refract_delay, 0, kRefractMax, "refract_delay (6-bit)");
    c.range(np + "vmin_exp", q.vmin_exp, 0, kVminExpMax, "vmin_exp (5-bit)");
    c.range(np + "vmax_exp", q.vmax_exp, 0, kVmaxExpMax, "vmax_exp (3-bit)");
  }
  if (p.has_bias_table()) {
    if (p.bias_phases == 0) c.fail(at + "/bias_table", "expected at least one phase");
    const bool per_channel = p.shape.size() == 3 && p.bias_columns == p.shape[0];
    if (p.bias_columns != n && !per_channel)
      c.fail(at + "/bias_table",
             "expected " + std::to_string(n) + " columns (one per neuron)" +
                 (p.shape.size() == 3 ? " or " + std::to_string(p.shape[0]) + " (one per channel)" : std::string()) +
                 ", got " + std::to_string(p.bias_columns));
    if (p.bias_table.size() != uint64_t{p.bias_contexts} * p.bias_phases * p.bias_columns)
      c.fail(at + "/bias_table", "expected shape (contexts, phases, columns)");
    for (auto b : p.bias_table)
      c.range(at + "/bias_table", b, kBiasMantMin, kBiasMantMax, "bias mantissa (13-bit signed)");
  } else if (!p.bias_table.empty()) {
    c.fail(at + "/bias_table", "bias table given without contexts");
  }
  c.range(at + "/reset_interval", p.reset_interval, 0, 65535, "reset_interval (timesteps, 0: no periodic reset)");
  if (p.reset_interval > 0)
    c.range(at + "/reset_offset", p.reset_offset, 0, p.reset_interval - 1, "reset_offset (below reset_interval)");
  else if (p.reset_offset != 0)
    c.fail(at + "/reset_offset",
           "expected 0 without a periodic reset (reset_interval 0), got " + std::to_string(p.reset_offset));
  if (p.sends_graded()) {
    c.range(at + "/payload_bits", p.payload_bits, 1, kMaxPayloadBits, "payload_bits");
    c.range(at + "/payload_frac_bits", p.payload_frac_bits, 0, p.payload_bits, "payload_frac_bits");
  }
  if (p.kind == NeuronKind::Sdnn) {
    c.range(at + "/sdnn/state_exp", p.sdnn.state_exp, 0, kSdnnExpMax, "state_exp (3-bit)");
    c.range(at + "/sdnn/spike_exp", p.sdnn.spike_exp, 0, kSdnnExpMax, "spike_exp (3-bit)");
    if (p.payload_frac_bits != p.sdnn.spike_exp)
      c.fail(at + "/payload_frac_bits", "an sdnn population's payload carries spike_exp (" +
                                            std::to_string(p.sdnn.spike_exp) + ") fractional bits, got " +
                                            std::to_string(p.payload_frac_bits));
  }
}

void validate_projection(const Checker& c, const Network& net, const Projection& pr, size_t i) {
  const std::string at = proj_path(i);
  const size_t np = net.populations.size();
  if (pr.source >= np) c.fail(at + "/source", "unknown source population");
  if (pr.target >= np) c.fail(at + "/target", "unknown target population");
  const Population& src = net.populations[pr.source];
  const Population& dst = net.populations[pr.target];
  if (src.kind == NeuronKind::Readout)
    c.fail(at + "/source", "population '" + src.name + "' is a readout: readouts do not spike and cannot be a source");
  if (dst.kind == NeuronKind::Input)
    c.fail(at + "/target", "population '" + dst.name + "' is a graded input: inputs take no synapses");
  if (dst.takes_stimulus())
    c.fail(at + "/target", "population '" + dst.name + "' is a delta encoder: its a_in comes from the stimulus");
  const auto& f = pr.format;
  c.range(at + "/weight_exp", f.weight_exp, kWeightExpMin, kWeightExpMax, "weight_exp");
  c.range(at + "/num_weight_bits", f.num_weight_bits, 1, 8, "num_weight_bits");
  for (auto w : pr.weights)
    c.range(at + "/weights", w, mantissa_min(f.sign_mode), mantissa_max(f.sign_mode),
            std::string("weight mantissa for sign mode ") + to_string(f.sign_mode));
  const uint64_t ns = src.size(), nd = dst.size();
  uint64_t expected = 0;
  std::string expected_shape;
  switch (pr.encoding) {
    case Encoding::Dense:
      expected = ns * nd;
      expected_shape = "(" + std::to_string(nd) + ", " + std::to_string(ns) + ") (target size x source size)";
      break;
    case Encoding::OneToOne:
      if (ns != nd)
        c.fail(at + "/target",
               "one_to_one needs equal sizes, source has " + std::to_string(ns) + " and target " + std::to_string(nd));
      expected = pr.weights.size() == 1 ? 1 : nd;
      expected_shape = "(" + std::to_string(nd) + ",) or (1,)";
      break;
    case Encoding::Sparse:
      expected = pr.pre.size();
      expected_shape = "(" + std::to_string(expected) + ",) (one per synapse, as /pre)";
      if (pr.post.size() != pr.pre.size())
        c.fail(at + "/post", "expected " + std::to_string(pr.pre.size()) + " entries (as /pre), got " +
                                 std::to_string(pr.post.size()));
      for (auto s : pr.pre)
        if (s >= ns)
          c.fail(at + "/pre",
                 "index " + std::to_string(s) + " out of range: source has " + std::to_string(ns) + " neurons");
      for (auto t : pr.post)
        if (t >= nd)
          c.fail(at + "/post",
                 "index " + std::to_string(t) + " out of range: target has " + std::to_string(nd) + " neurons");
      break;
    case Encoding::Conv: {
      const auto& g = pr.conv;
      if (src.shape.size() != 3) c.fail(at + "/source", "conv needs a (C, H, W) source, '" + src.name + "' is 1-D");
      if (dst.shape.size() != 3) c.fail(at + "/target", "conv needs a (C, H, W) target, '" + dst.name + "' is 1-D");
      if (g.kernel_h == 0 || g.kernel_w == 0) c.fail(at + "/weights", "kernel must be at least 1x1");
      if (g.stride_y == 0 || g.stride_x == 0) c.fail(at + "/stride", "stride must be at least 1");
      if (g.upsample == 0) c.fail(at + "/upsample", "upsample must be at least 1");
      if (g.dilation_y == 0 || g.dilation_x == 0) c.fail(at + "/dilation", "dilation must be at least 1");
      if (g.groups == 0 || src.shape[0] % g.groups || dst.shape[0] % g.groups)
        c.fail(at + "/groups", "groups (" + std::to_string(g.groups) + ") must divide source channels (" +
                                   std::to_string(src.shape[0]) + ") and target channels (" +
                                   std::to_string(dst.shape[0]) + ")");
      const int64_t oh = conv_out_size(src.shape[1], g.upsample, g.pad_y, g.kernel_h, g.stride_y, g.dilation_y);
      const int64_t ow = conv_out_size(src.shape[2], g.upsample, g.pad_x, g.kernel_w, g.stride_x, g.dilation_x);
      if (oh != dst.shape[1] || ow != dst.shape[2])
        c.fail(at + "/target", "conv output is (" + std::to_string(dst.shape[0]) + ", " + std::to_string(oh) + ", " +
                                   std::to_string(ow) + ") but target '" + dst.name + "' has shape (" +
                                   std::to_string(dst.shape[0]) + ", " + std::to_string(dst.shape[1]) + ", " +
                                   std::to_string(dst.shape[2]) + ")");
      expected = uint64_t{dst.shape[0]} * (src.shape[0] / g.groups) * g.kernel_h * g.kernel_w;
      expected_shape = "(" + std::to_string(dst.shape[0]) + ", " + std::to_string(src.shape[0] / g.groups) + ", " +
                       std::to_string(g.kernel_h) + ", " + std::to_string(g.kernel_w) +
                       ") (C_out, C_in/groups, kh, kw)";
      break;
    }
  }
  if (pr.weights.size() != expected)
    c.fail(at + "/weights", "expected " + std::to_string(expected) + " weights, shape " + expected_shape + ", got " +
                                std::to_string(pr.weights.size()));
  if (pr.delays.size() != 1 && pr.delays.size() != pr.weights.size())
    c.fail(at + "/delays", "expected one delay or one per weight (" + std::to_string(pr.weights.size()) + "), got " +
                               std::to_string(pr.delays.size()));
  for (auto d : pr.delays) c.range(at + "/delays", d, 0, kMaxDelay, "synaptic delay in timesteps");
}

}  // namespace

void validate(const Network& net, const std::string& where) {
  Checker c{where};
  if (net.populations.empty()) c.fail("/populations", "a network needs at least one population");
  std::set<std::string> names;
  for (size_t i = 0; i < net.populations.size(); ++i) validate_population(c, net.populations[i], i, names);
  for (size_t i = 0; i < net.projections.size(); ++i) validate_projection(c, net, net.projections[i], i);
}

}  // namespace spikemesh
