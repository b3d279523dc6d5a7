// Fixed-point FSDDIM sampler; see ddim_sampler.h.
#include "ddim_sampler.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "delay_balance.h"
#include "error.h"

namespace spikemesh {
namespace {

int64_t attr_int(const Network& net, const std::string& key, const std::string& where) {
  const auto it = net.metadata.attributes.find(key);
  if (it == net.metadata.attributes.end())
    throw Error(where + ": /metadata attribute '" + key +
                "' missing: not an FSDDIM network (export it with model/fsddim)");
  try {
    size_t used = 0;
    const int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(key);
    return v;
  } catch (const std::exception&) {
    throw Error(where + ": /metadata attribute '" + key + "': expected an integer, got '" + it->second + "'");
  }
}

uint32_t attr_population(const Network& net, const std::string& key, const std::string& where) {
  const auto it = net.metadata.attributes.find(key);
  if (it == net.metadata.attributes.end())
    throw Error(where + ": /metadata attribute '" + key +
                "' missing: not an FSDDIM network (export it with model/fsddim)");
  const int p = net.find(it->second);
  if (p < 0)
    throw Error(where + ": /metadata attribute '" + key + "' names population '" + it->second +
                "', which does not exist");
  return static_cast<uint32_t>(p);
}

std::vector<int64_t> table(const Network& net, const std::string& key, uint32_t size, const std::string& where) {
  const auto it = net.metadata.arrays.find(key);
  if (it == net.metadata.arrays.end()) throw Error(where + ": /metadata/" + key + " missing: not an FSDDIM network");
  if (!it->second.is_integer || it->second.ints.size() != size)
    throw Error(where + ": /metadata/" + key + ": expected " + std::to_string(size) +
                " integers (Q1.30), one per diffusion step");
  for (auto v : it->second.ints)
    if (v < 0 || v > (int64_t{1} << kDdimTableFracBits))
      throw Error(where + ": /metadata/" + key + ": value " + std::to_string(v) + " outside [0, 2^30]");
  return it->second.ints;
}

}  // namespace

DdimSchedule read_ddim_schedule(const Network& net, const std::string& where) {
  DdimSchedule s;
  s.input_population = attr_population(net, "input_population", where);
  s.readout_population = attr_population(net, "readout_population", where);
  const Population& in = net.populations[s.input_population];
  const Population& ro = net.populations[s.readout_population];
  if (in.kind != NeuronKind::Input)
    throw Error(where + ": /metadata input_population '" + in.name + "' is not an input population");
  if (ro.kind != NeuronKind::Readout)
    throw Error(where + ": /metadata readout_population '" + ro.name + "' is not a readout population");
  if (in.size() != ro.size())
    throw Error(where + ": input '" + in.name + "' and readout '" + ro.name +
                "' differ in size: the DDIM update needs one readout per pixel");
  const int64_t T = attr_int(net, "snn_timesteps", where), K = attr_int(net, "diffusion_timesteps", where);
  const int64_t R = attr_int(net, "readout_frac_bits", where), F = attr_int(net, "ddim_coeff_frac_bits", where);
  if (T < 1 || T > 64) throw Error(where + ": /metadata snn_timesteps: expected 1..64, got " + std::to_string(T));
  if (K < 1 || K > 100000)
    throw Error(where + ": /metadata diffusion_timesteps: expected 1..100000, got " + std::to_string(K));
  if (R < 0 || R > 24) throw Error(where + ": /metadata readout_frac_bits: expected 0..24, got " + std::to_string(R));
  if (F < 8 || F > 28)
    throw Error(where + ": /metadata ddim_coeff_frac_bits: expected 8..28, got " + std::to_string(F));
  s.snn_timesteps = static_cast<uint32_t>(T);
  s.diffusion_timesteps = static_cast<uint32_t>(K);
  s.readout_frac_bits = static_cast<int>(R);
  s.coeff_frac_bits = static_cast<int>(F);
  s.payload_frac_bits = in.payload_frac_bits;
  s.payload_bits = in.payload_bits;
  if (s.payload_bits < 2)
    throw Error(where + ": input '" + in.name + "': the sampler needs signed payloads (payload_bits >= 2)");
  const auto depth = net.metadata.attributes.find("pipeline_depth");
  if (depth == net.metadata.attributes.end())
    throw Error(where +
                ": /metadata attribute 'pipeline_depth' missing: delay-balance the network first (spikemesh balance)");
  s.pipeline_depth = static_cast<uint32_t>(attr_int(net, "pipeline_depth", where));
  s.sqrt_alpha_bar_q30 = table(net, "ddim_sqrt_alpha_bar_q30", s.diffusion_timesteps, where);
  s.sqrt_one_minus_alpha_bar_q30 = table(net, "ddim_sqrt_one_minus_alpha_bar_q30", s.diffusion_timesteps, where);
  const auto ct = net.metadata.arrays.find("ddim_context_times");
  if (ct != net.metadata.arrays.end()) {
    const std::string key = where + ": /metadata/ddim_context_times";
    if (!ct->second.is_integer || ct->second.ints.empty()) throw Error(key + ": expected a non-empty list of integers");
    for (size_t k = 0; k < ct->second.ints.size(); ++k) {
      const int64_t t = ct->second.ints[k];
      if (t < 0 || t >= K) throw Error(key + ": value " + std::to_string(t) + " outside 0.." + std::to_string(K - 1));
      if (k && t <= ct->second.ints[k - 1]) throw Error(key + ": expected increasing diffusion steps");
    }
    s.context_times = ct->second.ints;
    // Every time-embedding bias table must have exactly one context per listed time.
    for (const Population& p : net.populations)
      if (!p.bias_table.empty() && p.bias_contexts != s.context_times.size())
        throw Error(where + ": population '" + p.name + "' has " + std::to_string(p.bias_contexts) +
                    " bias contexts, " + "/metadata/ddim_context_times lists " +
                    std::to_string(s.context_times.size()));
  }
  return s;
}

std::vector<std::pair<int32_t, int32_t>> ddim_times(uint32_t timesteps, uint32_t steps) {
  if (steps < 1 || steps > timesteps)
    throw Error("DDIM steps must be in 1.." + std::to_string(timesteps) + ", got " + std::to_string(steps));
  std::vector<int32_t> t(steps + 1);
  for (uint32_t i = 0; i <= steps; ++i) t[i] = -1 + static_cast<int32_t>(uint64_t{i} * timesteps / steps);
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (uint32_t i = steps; i >= 1; --i) pairs.emplace_back(t[i], t[i - 1]);
  return pairs;
}

DdimPlan plan_ddim(const DdimSchedule& s, uint32_t steps) {
  DdimPlan plan;
  for (const auto& [t, t_prev] : ddim_times(s.diffusion_timesteps, steps)) {
    if (s.context_times.empty()) {
      plan.push_back({t, t_prev, static_cast<uint32_t>(t)});
      continue;
    }
    const auto it = std::lower_bound(s.context_times.begin(), s.context_times.end(), int64_t{t});
    if (it == s.context_times.end() || *it != t) {
      std::string have;
      for (size_t k = 0; k < s.context_times.size() && k < 12; ++k)
        have += (k ? "," : "") + std::to_string(s.context_times[k]);
      if (s.context_times.size() > 12) have += ",...";
      throw Error("DDIM steps S = " + std::to_string(steps) + " need the time embedding of diffusion step " +
                  std::to_string(t) + ", but the network was exported with bias contexts for steps {" + have +
                  "} only (/metadata/ddim_context_times; re-export with fsddim.export --steps " +
                  std::to_string(steps) + ")");
    }
    plan.push_back({t, t_prev, static_cast<uint32_t>(it - s.context_times.begin())});
  }
  return plan;
}

DdimCoefficients ddim_coefficients(const DdimSchedule& s, int32_t t, int32_t t_prev) {
  const int64_t one = int64_t{1} << kDdimTableFracBits;
  const int64_t a_t = s.sqrt_alpha_bar_q30.at(t), s_t = s.sqrt_one_minus_alpha_bar_q30.at(t);
  const int64_t a_p = t_prev < 0 ? one : s.sqrt_alpha_bar_q30.at(t_prev);
  const int64_t s_p = t_prev < 0 ? 0 : s.sqrt_one_minus_alpha_bar_q30.at(t_prev);
  const int sh = 2 * kDdimTableFracBits - s.coeff_frac_bits;
  return {round_shift(a_p * a_t + s_p * s_t, sh), round_shift(s_p * a_t - a_p * s_t, sh)};
}

int32_t ddim_update(int32_t payload, int32_t readout, const DdimCoefficients& c, const DdimSchedule& s) {
  const int64_t num =
      c.a * payload * (int64_t{1} << s.readout_frac_bits) + c.b * readout * (int64_t{1} << s.payload_frac_bits);
  const int64_t x = round_shift(num, s.coeff_frac_bits + s.readout_frac_bits);
  const int64_t lo = -(int64_t{1} << (s.payload_bits - 1)), hi = (int64_t{1} << (s.payload_bits - 1)) - 1;
  return static_cast<int32_t>(std::clamp(x, lo, hi));
}

std::vector<int32_t> initial_payloads(const DdimSchedule& s, uint64_t size, uint64_t seed, uint64_t image) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + image + 1);
  // Uniform in (0, 1] from the top 53 bits; Box-Muller pairs (written out: libstdc++'s normal_distribution
  // is not specified bit for bit).
  auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0); };
  const double lo = -std::ldexp(1.0, s.payload_bits - 1), hi = std::ldexp(1.0, s.payload_bits - 1) - 1;
  std::vector<int32_t> out(size);
  for (uint64_t i = 0; i < size; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform())), phi = 2.0 * M_PI * uniform();
    const double z[2] = {r * std::cos(phi), r * std::sin(phi)};
    for (uint64_t k = 0; k < 2 && i + k < size; ++k)
      out[i + k] = static_cast<int32_t>(std::clamp(std::nearbyint(std::ldexp(z[k], s.payload_frac_bits)), lo, hi));
  }
  return out;
}

namespace {

// The host's side of local timestep tau of a DDIM step with payloads x (T x size): before the step it
// writes input vector x[tau] (tau < T) and asks for the readout's currents (D <= tau < D + T); after the
// step it copies them to out[tau - D]. Shared by the sequential and the pipelined loop.
void before_step(TimestepBackend& b, const DdimSchedule& s, const std::vector<int32_t>& x, uint64_t size,
                 uint32_t tau) {
  if (tau < s.snn_timesteps) b.set_input(s.input_population, x.data() + uint64_t{tau} * size);
  if (tau >= s.pipeline_depth && tau < s.pipeline_depth + s.snn_timesteps) b.request_currents(s.readout_population);
}

void after_step(const TimestepBackend& b, const DdimSchedule& s, std::vector<int32_t>& out, uint64_t size,
                uint32_t tau) {
  if (tau < s.pipeline_depth || tau >= s.pipeline_depth + s.snn_timesteps) return;
  const int32_t* o = b.currents(s.readout_population);
  std::copy(o, o + size, out.begin() + uint64_t{tau - s.pipeline_depth} * size);
}

// The DDIM update of one step, on the management core (accounted to the backend).
void update_step(TimestepBackend& b, const DdimSchedule& s, const DdimStep& step, std::vector<int32_t>& x,
                 const std::vector<int32_t>& out) {
  const DdimCoefficients c = ddim_coefficients(s, step.t, step.t_prev);
  for (uint64_t i = 0; i < x.size(); ++i) x[i] = ddim_update(x[i], out[i], c, s);
  b.account_update(x.size());
}

}  // namespace

std::vector<int32_t> sample_image(TimestepBackend& backend, const DdimSchedule& s, const DdimPlan& plan,
                                  std::vector<int32_t> x, std::vector<std::vector<int32_t>>* trajectory,
                                  DdimProgress* progress) {
  const uint32_t T = s.snn_timesteps, D = s.pipeline_depth;
  const uint64_t n = x.size();
  if (n % T) throw Error("sample_image: payloads are not T x size");
  const uint64_t size = n / T;
  std::vector<int32_t> out(n);
  for (uint32_t k = 0; k < plan.size(); ++k) {
    backend.reset();
    backend.set_context(plan[k].context);
    for (uint32_t step = 0; step < T + D; ++step) {
      before_step(backend, s, x, size, step);
      backend.step();
      after_step(backend, s, out, size, step);
    }
    update_step(backend, s, plan[k], x, out);
    if (trajectory) trajectory->push_back(x);
    if (progress) progress->on_step(k + 1, static_cast<uint32_t>(plan.size()));
  }
  return x;
}

std::vector<int32_t> initial_x(const DdimSchedule& s, uint64_t size, uint64_t seed, uint64_t image) {
  const std::vector<int32_t> one = initial_payloads(s, size, seed, image);
  std::vector<int32_t> x;
  x.reserve(one.size() * s.snn_timesteps);
  for (uint32_t tau = 0; tau < s.snn_timesteps; ++tau) x.insert(x.end(), one.begin(), one.end());
  return x;
}

namespace {
// The reference simulator, counting every neuron's spikes (global order).
class SpikeCountingBackend : public ReferenceBackend {
 public:
  explicit SpikeCountingBackend(const Network& net)
      : ReferenceBackend(net), net_(net), offsets_(population_offsets(net)), spikes_(offsets_.back(), 0) {}
  void step() override {
    ReferenceBackend::step();
    for (uint32_t p = 0; p < net_.populations.size(); ++p) {
      const uint8_t* s = simulator().spikes(p);
      for (uint64_t i = 0; i < net_.populations[p].size(); ++i) spikes_[offsets_[p] + i] += s[i];
    }
  }
  const std::vector<uint64_t>& spikes() const { return spikes_; }

 private:
  const Network& net_;
  std::vector<uint64_t> offsets_;
  std::vector<uint64_t> spikes_;
};
}  // namespace

std::vector<double> ddim_firing_rates(const Network& net, const DdimSchedule& s, const DdimPlan& plan, uint32_t images,
                                      uint64_t seed) {
  if (images == 0 || plan.empty()) throw Error("ddim_firing_rates: no images or no DDIM steps");
  SpikeCountingBackend backend(net);
  const uint64_t size = net.populations[s.input_population].size();
  for (uint32_t k = 0; k < images; ++k) {
    sample_image(backend, s, plan, initial_x(s, size, seed, k));
  }
  const double window_steps = double(images) * double(plan.size()) * double(s.snn_timesteps);
  std::vector<double> rates(backend.spikes().size());
  for (size_t g = 0; g < rates.size(); ++g) rates[g] = double(backend.spikes()[g]) / window_steps;
  return rates;
}

PipelineLayout pipeline_layout(const Network& net, const DdimSchedule& s, const std::string& where) {
  const size_t np = net.populations.size();
  PipelineLayout l;
  // Depths as balance_delays assigns them: bias_start (it sets bias_start = depth); every projection is
  // then checked to be exactly balanced against them.
  for (const Population& p : net.populations) l.population_depth.push_back(p.bias_start);
  for (size_t j = 0; j < net.projections.size(); ++j) {
    const Projection& pr = net.projections[j];
    const std::string at = where + ": /projections/" + std::to_string(j) + " ('" + pr.name + "' from '" +
                           net.populations[pr.source].name + "' to '" + net.populations[pr.target].name + "')";
    if (pr.source == pr.target)
      throw Error(at +
                  ": recurrent (a self-loop): image pipelining needs a feed-forward network, whose "
                  "populations see each DDIM step in one T-timestep window");
    const int64_t need = int64_t{l.population_depth[pr.target]} - l.population_depth[pr.source] - 1;
    for (uint8_t d : pr.delays)
      if (d != need)
        throw Error(at + ": not exactly delay balanced: delay " + std::to_string(d) + ", expected depth('" +
                    net.populations[pr.target].name + "') - depth('" + net.populations[pr.source].name +
                    "') - 1 = " + std::to_string(need) +
                    " (depths from bias_start; spikemesh balance), so image pipelining would mix images");
  }
  for (size_t p = 0; p < np; ++p) {
    const Population& pop = net.populations[p];
    const bool has_input = std::any_of(net.projections.begin(), net.projections.end(),
                                       [&](const Projection& pr) { return pr.target == p; });
    if (!has_input && l.population_depth[p] != 0)
      throw Error(where + ": population '" + pop.name + "' has no input but bias_start " +
                  std::to_string(pop.bias_start) + ": expected 0 (not delay balanced; spikemesh balance)");
  }
  const uint32_t T = s.snn_timesteps, D = s.pipeline_depth;
  if (l.population_depth[s.readout_population] != D)
    throw Error(where + ": readout '" + net.populations[s.readout_population].name + "' is at depth " +
                std::to_string(l.population_depth[s.readout_population]) + ", /metadata pipeline_depth says " +
                std::to_string(D));
  if (l.population_depth[s.input_population] != 0)
    throw Error(where + ": input '" + net.populations[s.input_population].name + "' is not at depth 0");
  l.period = (T + D + T - 1) / T * T;
  l.max_in_flight = l.period / T;
  return l;
}

void enable_pipelining(Network& net, const PipelineLayout& layout, const DdimSchedule& s) {
  const uint32_t T = s.snn_timesteps;
  for (size_t p = 0; p < net.populations.size(); ++p) {
    Population& pop = net.populations[p];
    if (pop.kind == NeuronKind::Input) continue;
    pop.reset_interval = T;
    pop.reset_offset = layout.population_depth[p] % T;
  }
  gate_bias_after_window(net, T);
}

std::vector<std::vector<int32_t>> sample_pipelined(TimestepBackend& backend, const DdimSchedule& s,
                                                   const DdimPlan& plan, const PipelineLayout& layout,
                                                   uint32_t in_flight, const std::vector<std::vector<int32_t>>& x0,
                                                   std::vector<std::vector<std::vector<int32_t>>>* trajectories,
                                                   std::vector<PipelineSpan>* spans, DdimProgress* progress) {
  const uint32_t T = s.snn_timesteps, D = s.pipeline_depth, P = layout.period;
  const uint32_t S = static_cast<uint32_t>(plan.size()), images = static_cast<uint32_t>(x0.size());
  if (in_flight < 1 || in_flight > layout.max_in_flight)
    throw Error("sample_pipelined: images in flight must be in 1.." + std::to_string(layout.max_in_flight) + ", got " +
                std::to_string(in_flight));
  const size_t np = layout.population_depth.size();
  std::vector<std::vector<int32_t>> x = x0;
  uint64_t size = 0;
  for (const auto& v : x) {
    if (v.size() % T) throw Error("sample_pipelined: payloads are not T x size");
    size = v.size() / T;
  }
  if (trajectories) trajectories->assign(images, {});
  if (spans) spans->assign(images, {});
  // Lane l holds images l, l + K, l + 2K, ...: S steps each, its m-th step starting at l T + m P.
  const uint32_t K = std::min(in_flight, std::max(images, 1u));
  auto lane_steps = [&](uint32_t l) { return l < images ? uint64_t{(images - 1 - l) / K + 1} * S : uint64_t{0}; };
  uint64_t end = 0;
  for (uint32_t l = 0; l < K; ++l)
    if (lane_steps(l)) end = std::max(end, uint64_t{l} * T + (lane_steps(l) - 1) * P + T + D);
  // Which lane step (image, DDIM step) holds global timestep g at local time tau; false: none.
  struct At {
    uint32_t image = 0, step = 0, tau = 0;
  };
  auto step_at = [&](uint64_t start, uint64_t g, At& at) {  // `start`: a multiple of T, <= g
    const uint32_t l = static_cast<uint32_t>(start / T % (P / T));
    if (l >= K || start < uint64_t{l} * T || (start - uint64_t{l} * T) % P) return false;
    const uint64_t m = (start - uint64_t{l} * T) / P;
    if (m >= lane_steps(l)) return false;
    at = {static_cast<uint32_t>(l + m / S * K), static_cast<uint32_t>(m % S), static_cast<uint32_t>(g - start)};
    return true;
  };
  std::vector<std::vector<int32_t>> out(K, std::vector<int32_t>(uint64_t{T} * size));
  std::vector<BiasTime> bias(np);
  backend.reset();
  backend.set_context(plan.empty() ? 0 : plan[0].context);
  for (uint64_t g = 0; g < end; ++g) {
    for (size_t p = 0; p < np; ++p) {  // each population follows the step whose window holds g
      const uint32_t d = layout.population_depth[p];
      At at;
      bias[p] = g >= d && step_at((g - d) / T * T, g, at) ? BiasTime{true, plan[at.step].context, at.tau} : BiasTime{};
    }
    backend.set_bias_times(bias);
    // The lane steps at g: one is in its input window, one in its readout window (windows are T long).
    std::vector<At> active;
    for (uint32_t l = 0; l < K; ++l) {
      At at;
      if (g >= uint64_t{l} * T && step_at(g - (g - uint64_t{l} * T) % P, g, at) && at.tau < T + D) active.push_back(at);
    }
    for (const At& a : active) {
      if (a.tau == 0 && a.step == 0) {
        if (spans) (*spans)[a.image].first_timestep = g;
      }
      before_step(backend, s, x[a.image], size, a.tau);
    }
    backend.step();
    for (const At& a : active) {
      after_step(backend, s, out[a.image % K], size, a.tau);
      if (a.tau != T + D - 1) continue;
      update_step(backend, s, plan[a.step], x[a.image], out[a.image % K]);
      if (trajectories) (*trajectories)[a.image].push_back(x[a.image]);
      if (spans && a.step + 1 == S) (*spans)[a.image].last_timestep = g;
      if (progress) progress->on_image(a.image, images), progress->on_step(a.step + 1, S);
    }
  }
  return x;
}

std::vector<double> payloads_to_image(const std::vector<int32_t>& x, const DdimSchedule& s) {
  const uint32_t T = s.snn_timesteps;
  const uint64_t size = x.size() / T;
  std::vector<double> img(size);
  for (uint64_t i = 0; i < size; ++i) {
    int64_t sum = 0;
    for (uint32_t tau = 0; tau < T; ++tau) sum += x[uint64_t{tau} * size + i];
    img[i] = std::clamp(static_cast<double>(sum) / T / std::ldexp(1.0, s.payload_frac_bits), -1.0, 1.0);
  }
  return img;
}

}  // namespace spikemesh
