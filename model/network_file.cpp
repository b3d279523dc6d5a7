// Network file reader and writer; see docs/network-format.md for the layout.
#include "network_file.h"

#include <limits>

#include "error.h"
#include "h5io.h"

namespace spikemesh {
namespace {

std::string pop_path(size_t i) { return "/populations/" + std::to_string(i); }
std::string proj_path(size_t i) { return "/projections/" + std::to_string(i); }

// Reads an integer dataset and narrows it to T, failing with the dataset path when a value does not fit.
template <typename T>
std::vector<T> read_as(const H5File& f, const std::string& ds, Shape* shape = nullptr) {
  const auto raw = f.read_ints(ds, shape);
  std::vector<T> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        raw[i] > static_cast<int64_t>(std::numeric_limits<T>::max()))
      f.fail(ds, "value " + std::to_string(raw[i]) + " at index " + std::to_string(i) +
                     " does not fit the field (expected [" +
                     std::to_string(static_cast<int64_t>(std::numeric_limits<T>::min())) + ", " +
                     std::to_string(static_cast<int64_t>(std::numeric_limits<T>::max())) + "])");
    out[i] = static_cast<T>(raw[i]);
  }
  return out;
}

// A scalar: shape () or (1,).
int64_t read_scalar(const H5File& f, const std::string& ds) {
  Shape s;
  auto v = f.read_ints(ds, &s);
  if (v.size() != 1) f.fail(ds, "expected a scalar, got shape " + shape_str(s));
  return v[0];
}

int64_t read_scalar_or(const H5File& f, const std::string& ds, int64_t fallback) {
  return f.exists(ds) ? read_scalar(f, ds) : fallback;
}

template <typename E>
E read_enum(const H5File& f, const std::string& ds, const std::string& choices) {
  E e{};
  if (!f.is_string(ds)) f.fail(ds, "expected a string, one of " + choices);
  const std::string s = f.read_string(ds);
  if (!parse(s, e)) f.fail(ds, "unknown value '" + s + "': expected one of " + choices);
  return e;
}

// Neuron parameter datasets under /populations/<i>/neuron/, in the order get_param/set_param number them.
const char* const kParamNames[] = {"du",       "dv",      "vth_mant", "bias_mant", "bias_exp", "refract_delay",
                                   "vmin_exp", "vmax_exp"};

int64_t get_param(const CompartmentParams& p, int k) {
  switch (k) {
    case 0:
      return p.du;
    case 1:
      return p.dv;
    case 2:
      return p.vth_mant;
    case 3:
      return p.bias_mant;
    case 4:
      return p.bias_exp;
    case 5:
      return p.refract_delay;
    case 6:
      return p.vmin_exp;
    default:
      return p.vmax_exp;
  }
}

// Narrowing is safe: the caller range-checks against the register width first.
void set_param(CompartmentParams& p, int k, int64_t v) {
  switch (k) {
    case 0:
      p.du = static_cast<uint16_t>(v);
      break;
    case 1:
      p.dv = static_cast<uint16_t>(v);
      break;
    case 2:
      p.vth_mant = static_cast<uint32_t>(v);
      break;
    case 3:
      p.bias_mant = static_cast<int16_t>(v);
      break;
    case 4:
      p.bias_exp = static_cast<uint8_t>(v);
      break;
    case 5:
      p.refract_delay = static_cast<uint8_t>(v);
      break;
    case 6:
      p.vmin_exp = static_cast<uint8_t>(v);
      break;
    default:
      p.vmax_exp = static_cast<uint8_t>(v);
      break;
  }
}

// Register range per field, checked before narrowing so an out-of-range file value is never truncated.
std::pair<int64_t, int64_t> param_range(int k) {
  switch (k) {
    case 0:
    case 1:
      return {0, kDecayMax};
    case 2:
      return {0, kVthMantMax};
    case 3:
      return {kBiasMantMin, kBiasMantMax};
    case 4:
      return {0, kBiasExpMax};
    case 5:
      return {0, kRefractMax};
    case 6:
      return {0, kVminExpMax};
    default:
      return {0, kVmaxExpMax};
  }
}

Population read_population(const H5File& f, size_t i) {
  const std::string at = pop_path(i);
  Population p;
  p.name = f.read_string(at + "/name");
  p.kind = read_enum<NeuronKind>(f, at + "/kind", "cuba, input, readout, sdnn");
  Shape s;
  auto shape = f.read_ints(at + "/shape", &s);
  if (s.size() != 1 || (shape.size() != 1 && shape.size() != 3))
    f.fail(at + "/shape", "expected a 1-D array of 1 (N) or 3 (C, H, W) entries, got shape " + shape_str(s));
  for (auto d : shape) {
    if (d < 1 || d > (int64_t{1} << 26))
      f.fail(at + "/shape", "dimension " + std::to_string(d) + " out of range [1, 2^26]");
    p.shape.push_back(static_cast<uint32_t>(d));
  }
  // Neuron indices are 32-bit throughout (synapse lists, rasters); a product beyond that would also overflow
  // the 64-bit size for three dimensions near 2^26 and read as an empty population.
  uint64_t n = 1;
  for (auto d : p.shape)
    if (__builtin_mul_overflow(n, uint64_t{d}, &n) || n > (uint64_t{1} << 32))
      f.fail(at + "/shape", "shape " + shape_str(Shape(shape.begin(), shape.end())) +
                                " holds more than 2^32 neurons (neuron indices are 32-bit)");

  // Parameters: each dataset is a scalar (whole population) or has one entry per neuron.
  std::vector<std::vector<int64_t>> fields(8);
  bool per_neuron = false;
  const CompartmentParams defaults;
  for (int k = 0; k < 8; ++k) {
    const std::string ds = at + "/neuron/" + kParamNames[k];
    if (!f.exists(ds)) {
      fields[k] = {get_param(defaults, k)};
      continue;
    }
    Shape ps;
    fields[k] = f.read_ints(ds, &ps);
    if (fields[k].size() != 1 && fields[k].size() != n)
      f.fail(ds, "expected a scalar or " + std::to_string(n) + " values (one per neuron), got shape " + shape_str(ps));
    auto [lo, hi] = param_range(k);
    for (auto v : fields[k])
      if (v < lo || v > hi)
        f.fail(ds, "value " + std::to_string(v) + " out of range: expected " + kParamNames[k] + " in [" +
                       std::to_string(lo) + ", " + std::to_string(hi) + "]");
    per_neuron |= fields[k].size() > 1;
  }
  p.params.assign(per_neuron ? n : 1, CompartmentParams{});
  for (size_t j = 0; j < p.params.size(); ++j)
    for (int k = 0; k < 8; ++k) set_param(p.params[j], k, fields[k].size() == 1 ? fields[k][0] : fields[k][j]);

  const std::string bt = at + "/bias_table";
  if (f.exists(bt)) {
    Shape bs;
    p.bias_table = read_as<int16_t>(f, bt, &bs);
    const bool cols_ok = bs.size() == 3 && (bs[2] == n || (p.shape.size() == 3 && bs[2] == p.shape[0]));
    if (!cols_ok || bs[0] == 0 || bs[1] == 0)
      f.fail(bt, "expected shape (contexts, phases, " + std::to_string(n) +
                     (p.shape.size() == 3 ? " or " + std::to_string(p.shape[0]) : std::string()) + "), got " +
                     shape_str(bs));
    p.bias_contexts = static_cast<uint32_t>(bs[0]);
    p.bias_phases = static_cast<uint32_t>(bs[1]);
    p.bias_columns = static_cast<uint32_t>(bs[2]);
  }
  if (f.exists(at + "/arithmetic")) {
    const std::string a = f.read_string(at + "/arithmetic");
    if (!parse(a, p.arithmetic))
      f.fail(at + "/arithmetic", "unknown arithmetic '" + a + "': expected \"nengo-loihi\" or \"lava\"");
  }
  {
    const int64_t start = read_scalar_or(f, at + "/bias_start", 0);
    if (start < 0 || start > 65535)
      f.fail(at + "/bias_start", "value " + std::to_string(start) + " out of range [0, 65535]");
    p.bias_start = static_cast<uint32_t>(start);
  }
  {  // optional: older files have no periodic reset (0)
    auto timesteps = [&](const std::string& key) {
      const int64_t v = read_scalar_or(f, at + "/" + key, 0);
      if (v < 0 || v > 65535) f.fail(at + "/" + key, "value " + std::to_string(v) + " out of range [0, 65535]");
      return static_cast<uint32_t>(v);
    };
    p.reset_interval = timesteps("reset_interval");
    p.reset_offset = timesteps("reset_offset");
  }
  if (p.kind == NeuronKind::Sdnn) {
    p.sdnn.role = read_enum<SdnnRole>(f, at + "/sdnn/role", "sigma_delta, delta, sigma");
    p.sdnn.activation = read_enum<SdnnActivation>(f, at + "/sdnn/activation", "relu, unit");
    auto exponent = [&](const std::string& key) {
      const int64_t v = read_scalar_or(f, at + "/sdnn/" + key, 0);
      if (v < 0 || v > kSdnnExpMax) f.fail(at + "/sdnn/" + key, "value " + std::to_string(v) + " out of range [0, 7]");
      return static_cast<uint8_t>(v);
    };
    p.sdnn.state_exp = exponent("state_exp");
    p.sdnn.spike_exp = exponent("spike_exp");
  }
  if (p.sends_graded()) {
    const int64_t pb = read_scalar_or(f, at + "/payload_bits", 1), pf = read_scalar_or(f, at + "/payload_frac_bits", 0);
    if (pb < 1 || pb > kMaxPayloadBits) f.fail(at + "/payload_bits", "expected 1..24, got " + std::to_string(pb));
    if (pf < 0 || pf > pb) f.fail(at + "/payload_frac_bits", "expected 0..payload_bits, got " + std::to_string(pf));
    p.payload_bits = static_cast<uint8_t>(pb);
    p.payload_frac_bits = static_cast<uint8_t>(pf);
  }
  return p;
}

uint32_t find_population(const H5File& f, const Network& net, const std::string& ds) {
  const std::string name = f.read_string(ds);
  const int idx = net.find(name);
  if (idx < 0) f.fail(ds, "unknown population '" + name + "'");
  return static_cast<uint32_t>(idx);
}

std::pair<uint32_t, uint32_t> read_pair(const H5File& f, const std::string& ds, uint32_t fallback) {
  if (!f.exists(ds)) return {fallback, fallback};
  Shape s;
  auto v = f.read_ints(ds, &s);
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2) f.fail(ds, "expected a scalar or 2 values (y, x), got shape " + shape_str(s));
  for (auto x : v)
    if (x < 0 || x > 4096) f.fail(ds, "value " + std::to_string(x) + " out of range [0, 4096]");
  return {static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1])};
}

Projection read_projection(const H5File& f, const Network& net, size_t i) {
  const std::string at = proj_path(i);
  Projection pr;
  pr.name = f.exists(at + "/name") ? f.read_string(at + "/name") : "projection_" + std::to_string(i);
  pr.source = find_population(f, net, at + "/source");
  pr.target = find_population(f, net, at + "/target");
  pr.encoding = read_enum<Encoding>(f, at + "/encoding", "dense, sparse, conv, one_to_one");
  pr.format.sign_mode = read_enum<SignMode>(f, at + "/sign_mode", "mixed, excitatory, inhibitory");
  const int64_t we = read_scalar(f, at + "/weight_exp"), nb = read_scalar(f, at + "/num_weight_bits");
  if (we < kWeightExpMin || we > kWeightExpMax)
    f.fail(at + "/weight_exp", "value " + std::to_string(we) + " out of range [-8, 7]");
  if (nb < 1 || nb > 8) f.fail(at + "/num_weight_bits", "value " + std::to_string(nb) + " out of range [1, 8]");
  pr.format.weight_exp = static_cast<int8_t>(we);
  pr.format.num_weight_bits = static_cast<uint8_t>(nb);

  Shape ws;
  pr.weights = read_as<int16_t>(f, at + "/weights", &ws);
  const Population& src = net.populations[pr.source];
  const Population& dst = net.populations[pr.target];
  switch (pr.encoding) {
    case Encoding::Dense:
      if (ws.size() != 2 || ws[0] != dst.size() || ws[1] != src.size())
        f.fail(at + "/weights", "expected shape (" + std::to_string(dst.size()) + ", " + std::to_string(src.size()) +
                                    ") (target size x source size), got " + shape_str(ws));
      break;
    case Encoding::Sparse:
      if (ws.size() != 1) f.fail(at + "/weights", "expected a 1-D array (one per synapse), got " + shape_str(ws));
      pr.pre = read_as<uint32_t>(f, at + "/pre");
      pr.post = read_as<uint32_t>(f, at + "/post");
      break;
    case Encoding::OneToOne:
      if (ws.size() > 1) f.fail(at + "/weights", "expected a scalar or a 1-D array, got " + shape_str(ws));
      break;
    case Encoding::Conv: {
      if (ws.size() != 4)
        f.fail(at + "/weights", "expected a 4-D kernel (C_out, C_in/groups, kh, kw), got " + shape_str(ws));
      pr.conv.kernel_h = static_cast<uint32_t>(ws[2]);
      pr.conv.kernel_w = static_cast<uint32_t>(ws[3]);
      std::tie(pr.conv.stride_y, pr.conv.stride_x) = read_pair(f, at + "/stride", 1);
      std::tie(pr.conv.pad_y, pr.conv.pad_x) = read_pair(f, at + "/padding", 0);
      std::tie(pr.conv.dilation_y, pr.conv.dilation_x) = read_pair(f, at + "/dilation", 1);
      const int64_t groups = read_scalar_or(f, at + "/groups", 1), up = read_scalar_or(f, at + "/upsample", 1);
      if (groups < 1 || groups > 65536) f.fail(at + "/groups", "expected 1..65536, got " + std::to_string(groups));
      if (up < 1 || up > 64) f.fail(at + "/upsample", "expected 1..64, got " + std::to_string(up));
      pr.conv.groups = static_cast<uint32_t>(groups);
      pr.conv.upsample = static_cast<uint32_t>(up);
      if (src.shape.size() == 3 && dst.shape.size() == 3 && (ws[0] != dst.shape[0] || ws[1] * groups != src.shape[0]))
        f.fail(at + "/weights", "kernel shape " + shape_str(ws) + " does not match source channels " +
                                    std::to_string(src.shape[0]) + " / groups " + std::to_string(groups) +
                                    " and target channels " + std::to_string(dst.shape[0]));
      break;
    }
  }
  Shape ds;
  pr.delays = read_as<uint8_t>(f, at + "/delays", &ds);
  if (pr.delays.size() != 1 && ds != ws)
    f.fail(at + "/delays", "expected a scalar or the weights' shape " + shape_str(ws) + ", got " + shape_str(ds));
  return pr;
}

void read_metadata(const H5File& f, Metadata& m) {
  if (!f.exists("/metadata")) return;
  for (const auto& a : f.attribute_names("/metadata")) {
    if (f.attr_is_string("/metadata", a))
      m.attributes[a] = f.read_attr_string("/metadata", a);
    else if (f.attr_is_integer("/metadata", a))
      m.attributes[a] = std::to_string(f.read_attr_int("/metadata", a));
    // other attribute types (floats, arrays) stay in the file; tools that need them read them directly
  }
  for (const auto& name : f.children("/metadata")) {
    const std::string ds = "/metadata/" + name;
    if (f.is_group(ds) || f.is_string(ds)) continue;  // nested groups and strings are kept in the file only
    MetaArray a;
    a.is_integer = f.is_integer(ds);
    if (a.is_integer)
      a.ints = f.read_ints(ds, &a.shape);
    else
      a.reals = f.read_reals(ds, &a.shape);
    m.arrays[name] = std::move(a);
  }
}

// Children of a numbered group must be exactly "0".."n-1".
size_t count_numbered(const H5File& f, const std::string& group) {
  if (!f.exists(group)) return 0;
  const auto names = f.children(group);
  for (size_t i = 0; i < names.size(); ++i)
    if (!f.exists(group + "/" + std::to_string(i)))
      f.fail(group, "expected groups numbered 0.." + std::to_string(names.size() - 1) + ", missing '" +
                        std::to_string(i) + "'");
  return names.size();
}

}  // namespace

Network read_network(const std::string& path) {
  H5File f = H5File::open_read(path);
  if (!f.has_attribute("/", "format")) f.fail("/", "missing attribute 'format': not a spikemesh network file");
  const std::string fmt = f.read_attr_string("/", "format");
  if (fmt != kNetworkFormatName)
    f.fail("/", "attribute 'format' is '" + fmt + "', expected '" + kNetworkFormatName + "'");
  const int64_t version = f.read_attr_int("/", "version");
  if (version != kNetworkFormatVersion)
    f.fail("/", "unsupported format version " + std::to_string(version) + ": this build reads version " +
                    std::to_string(kNetworkFormatVersion));
  Network net;
  if (f.has_attribute("/", "producer")) net.metadata.producer = f.read_attr_string("/", "producer");
  if (!f.exists("/populations")) f.fail("/populations", "missing group");
  const size_t np = count_numbered(f, "/populations");
  for (size_t i = 0; i < np; ++i) net.populations.push_back(read_population(f, i));
  const size_t nj = count_numbered(f, "/projections");
  for (size_t i = 0; i < nj; ++i) net.projections.push_back(read_projection(f, net, i));
  read_metadata(f, net.metadata);
  validate(net, path);
  return net;
}

namespace {
template <typename T>
std::vector<int64_t> widen(const std::vector<T>& v) {
  return std::vector<int64_t>(v.begin(), v.end());
}
}  // namespace

void write_network(const Network& net, const std::string& path) {
  validate(net, path);
  H5File f = H5File::create(path);
  f.write_attr_string("/", "format", kNetworkFormatName);
  f.write_attr_int("/", "version", kNetworkFormatVersion);
  f.write_attr_string("/", "producer", net.metadata.producer);
  f.create_group("/populations");
  f.create_group("/projections");
  for (size_t i = 0; i < net.populations.size(); ++i) {
    const Population& p = net.populations[i];
    const std::string at = pop_path(i);
    f.write_string(at + "/name", p.name);
    f.write_string(at + "/kind", to_string(p.kind));
    f.write_ints(at + "/shape", widen(p.shape), {p.shape.size()}, 4);
    for (int k = 0; k < 8; ++k) {
      std::vector<int64_t> v(p.params.size());
      bool uniform = true;
      for (size_t j = 0; j < v.size(); ++j) {
        v[j] = get_param(p.params[j], k);
        uniform &= v[j] == v[0];
      }
      if (uniform)
        f.write_ints(at + "/neuron/" + kParamNames[k], {v[0]}, {}, 4);
      else
        f.write_ints(at + "/neuron/" + kParamNames[k], v, {v.size()}, 4, true);
    }
    if (p.has_bias_table())
      f.write_ints(at + "/bias_table", widen(p.bias_table), {p.bias_contexts, p.bias_phases, p.bias_columns}, 2, true);
    if (p.bias_start) f.write_ints(at + "/bias_start", {p.bias_start}, {}, 4);
    if (p.reset_interval) {
      f.write_ints(at + "/reset_interval", {p.reset_interval}, {}, 4);
      f.write_ints(at + "/reset_offset", {p.reset_offset}, {}, 4);
    }
    if (p.arithmetic != Arithmetic::NengoLoihi) f.write_string(at + "/arithmetic", to_string(p.arithmetic));
    if (p.sends_graded()) {
      f.write_ints(at + "/payload_bits", {p.payload_bits}, {}, 1);
      f.write_ints(at + "/payload_frac_bits", {p.payload_frac_bits}, {}, 1);
    }
    if (p.kind == NeuronKind::Sdnn) {
      f.write_string(at + "/sdnn/role", to_string(p.sdnn.role));
      f.write_string(at + "/sdnn/activation", to_string(p.sdnn.activation));
      f.write_ints(at + "/sdnn/state_exp", {p.sdnn.state_exp}, {}, 1);
      f.write_ints(at + "/sdnn/spike_exp", {p.sdnn.spike_exp}, {}, 1);
    }
  }
  for (size_t i = 0; i < net.projections.size(); ++i) {
    const Projection& pr = net.projections[i];
    const std::string at = proj_path(i);
    const Population& src = net.populations[pr.source];
    const Population& dst = net.populations[pr.target];
    f.write_string(at + "/name", pr.name);
    f.write_string(at + "/source", src.name);
    f.write_string(at + "/target", dst.name);
    f.write_string(at + "/encoding", to_string(pr.encoding));
    f.write_string(at + "/sign_mode", to_string(pr.format.sign_mode));
    f.write_ints(at + "/weight_exp", {pr.format.weight_exp}, {}, 1);
    f.write_ints(at + "/num_weight_bits", {pr.format.num_weight_bits}, {}, 1);
    Shape ws;
    switch (pr.encoding) {
      case Encoding::Dense:
        ws = {dst.size(), src.size()};
        break;
      case Encoding::Sparse:
        ws = {pr.weights.size()};
        break;
      case Encoding::OneToOne:
        ws = {pr.weights.size()};
        break;
      case Encoding::Conv:
        ws = {dst.shape[0], src.shape[0] / pr.conv.groups, pr.conv.kernel_h, pr.conv.kernel_w};
        f.write_ints(at + "/stride", {pr.conv.stride_y, pr.conv.stride_x}, {2}, 4);
        f.write_ints(at + "/padding", {pr.conv.pad_y, pr.conv.pad_x}, {2}, 4);
        if (pr.conv.dilation_y != 1 || pr.conv.dilation_x != 1)  // optional: absent means 1 (files stay as they were)
          f.write_ints(at + "/dilation", {pr.conv.dilation_y, pr.conv.dilation_x}, {2}, 4);
        f.write_ints(at + "/groups", {pr.conv.groups}, {}, 4);
        f.write_ints(at + "/upsample", {pr.conv.upsample}, {}, 4);
        break;
    }
    f.write_ints(at + "/weights", widen(pr.weights), ws, 2, pr.weights.size() > 64);
    if (pr.encoding == Encoding::Sparse) {
      f.write_ints(at + "/pre", widen(pr.pre), {pr.pre.size()}, 4, true);
      f.write_ints(at + "/post", widen(pr.post), {pr.post.size()}, 4, true);
    }
    if (pr.delays.size() == 1)
      f.write_ints(at + "/delays", {pr.delays[0]}, {}, 1);
    else
      f.write_ints(at + "/delays", widen(pr.delays), ws, 1, true);
  }
  f.create_group("/metadata");
  for (const auto& [k, v] : net.metadata.attributes) f.write_attr_string("/metadata", k, v);
  for (const auto& [k, a] : net.metadata.arrays) {
    if (a.is_integer)
      f.write_ints("/metadata/" + k, a.ints, a.shape, 8);
    else
      f.write_reals("/metadata/" + k, a.reals, a.shape);
  }
}

}  // namespace spikemesh
