// Functional reference simulator; see reference_sim.h.
#include "reference_sim.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "conv_taps.h"
#include "error.h"
#include "h5io.h"

namespace spikemesh {

namespace {
constexpr int kTargetBits = 26;
constexpr uint32_t kTargetMask = (1u << kTargetBits) - 1;
}  // namespace

int64_t payload_min(const Population& p) { return p.payload_bits == 1 ? 0 : -(int64_t{1} << (p.payload_bits - 1)); }
int64_t payload_max(const Population& p) { return p.payload_bits == 1 ? 1 : (int64_t{1} << (p.payload_bits - 1)) - 1; }

void validate_stimulus(const Network& net, const Stimulus& s, const std::string& where) {
  for (const auto& rows : s.inputs) {
    if (rows.population >= net.populations.size()) throw Error(where + ": stimulus names an unknown population");
    const Population& p = net.populations[rows.population];
    const std::string at = where + ": /inputs/" + p.name;
    if (!p.takes_stimulus())
      throw Error(at + ": population '" + p.name + "' is " + to_string(p.kind) +
                  ", only input populations and sdnn delta encoders take payloads");
    if (rows.payloads.size() != uint64_t{rows.timesteps} * p.size())
      throw Error(at + ": expected shape (timesteps, " + std::to_string(p.size()) + ")");
    for (size_t k = 0; k < rows.payloads.size(); ++k) {
      const int64_t v = rows.payloads[k];
      if (v < payload_min(p) || v > payload_max(p))
        throw Error(at + ": payload " + std::to_string(v) + " at timestep " + std::to_string(k / p.size()) +
                    ", neuron " + std::to_string(k % p.size()) + " out of range [" + std::to_string(payload_min(p)) +
                    ", " + std::to_string(payload_max(p)) + "] for payload_bits = " + std::to_string(p.payload_bits));
    }
  }
  for (const auto& b : s.biases) {
    if (b.population >= net.populations.size()) throw Error(where + ": stimulus names an unknown population");
    const Population& p = net.populations[b.population];
    const std::string at = where + ": /biases/" + p.name;
    if (p.kind != NeuronKind::Cuba && p.kind != NeuronKind::Readout)
      throw Error(at + ": population '" + p.name + "' is " + to_string(p.kind) +
                  ", only cuba and readout populations take a bias");
    if (p.has_bias_table())
      throw Error(at + ": population '" + p.name + "' has a bias table, which a stimulus bias cannot replace");
    if (b.mant.size() != p.size()) throw Error(at + ": expected shape (" + std::to_string(p.size()) + ",)");
  }
}

int64_t StateRecord::row(uint64_t t) const {
  const auto it = std::lower_bound(timesteps.begin(), timesteps.end(), t);
  return it != timesteps.end() && *it == t ? it - timesteps.begin() : -1;
}

int64_t StateRecord::slot(uint32_t p) const {
  const auto it = std::find(populations.begin(), populations.end(), p);
  return it != populations.end() ? it - populations.begin() : -1;
}

ReferenceSimulator::ReferenceSimulator(const Network& net) : net_(net) {
  const size_t np = net.populations.size();
  offset_ = population_offsets(net);
  total_ = offset_[np];
  if (total_ > kTargetMask)
    throw Error("network has " + std::to_string(total_) + " neurons; the reference simulator supports up to 2^26 - 1");

  uint32_t max_delay = 0;
  for (const auto& pr : net.projections)
    for (auto d : pr.delays) max_delay = std::max<uint32_t>(max_delay, d);
  slots_ = max_delay + 2;

  // Expand every non-conv projection into a per-source-population CSR of (target, delay, weight).
  fanout_.resize(np);
  conv_.resize(np);
  std::vector<std::vector<uint64_t>> counts(np);
  for (size_t p = 0; p < np; ++p) counts[p].assign(net.populations[p].size() + 1, 0);
  auto for_each_synapse = [&](const Projection& pr, auto&& fn) {  // fn(src, dst, weight index)
    const uint64_t ns = net.populations[pr.source].size(), nd = net.populations[pr.target].size();
    switch (pr.encoding) {
      case Encoding::Dense:
        for (uint64_t d = 0; d < nd; ++d)
          for (uint64_t s = 0; s < ns; ++s) fn(s, d, d * ns + s);
        break;
      case Encoding::Sparse:
        for (uint64_t k = 0; k < pr.pre.size(); ++k) fn(pr.pre[k], pr.post[k], k);
        break;
      case Encoding::OneToOne:
        for (uint64_t i = 0; i < ns; ++i) fn(i, i, pr.weights.size() == 1 ? 0 : i);
        break;
      case Encoding::Conv:
        break;
    }
  };
  for (const auto& pr : net.projections)
    for_each_synapse(pr, [&](uint64_t s, uint64_t, uint64_t) { ++counts[pr.source][s + 1]; });
  for (size_t p = 0; p < np; ++p) {
    auto& fo = fanout_[p];
    fo.begin.resize(counts[p].size());
    std::partial_sum(counts[p].begin(), counts[p].end(), fo.begin.begin());
    fo.syn.resize(fo.begin.back());
  }
  std::vector<std::vector<uint64_t>> fill(np);
  for (size_t p = 0; p < np; ++p) fill[p].assign(fanout_[p].begin.begin(), fanout_[p].begin.end() - 1);
  for (size_t j = 0; j < net.projections.size(); ++j) {
    const auto& pr = net.projections[j];
    if (pr.encoding == Encoding::Conv) {
      // Effective weights (and per-tap delays) transposed from [C_out][C_in/g][tap] to [C_in][tap][C_out/g]
      // (C_in indexes the source channel, whose group fixes the output channels it reaches).
      const ConvChannels ch = ConvChannels::of(net, pr);
      const uint32_t cin = net.populations[pr.source].shape[0];
      ConvTaps c{static_cast<uint32_t>(j), std::vector<int32_t>(pr.weights.size()), pr.delays};
      if (pr.delays.size() != 1) c.delays.assign(pr.weights.size(), 0);
      for (uint32_t ci = 0; ci < cin; ++ci)
        for (uint32_t tap = 0; tap < ch.taps; ++tap)
          for (uint32_t jj = 0; jj < ch.cout_per_group; ++jj) {
            const uint32_t co = ch.group_of_input(ci) * ch.cout_per_group + jj;
            const uint64_t k = ch.kernel_index(co, ci, tap),
                           t = (uint64_t{ci} * ch.taps + tap) * ch.cout_per_group + jj;
            c.weights[t] = effective_weight(pr.weights[k], pr.format);
            if (pr.delays.size() != 1) c.delays[t] = pr.delays[k];
          }
      conv_[pr.source].push_back(std::move(c));
      continue;
    }
    auto& fo = fanout_[pr.source];
    const uint64_t base = offset_[pr.target];
    for_each_synapse(pr, [&](uint64_t s, uint64_t d, uint64_t k) {
      const uint32_t delay = pr.delay(k);
      fo.any_delay |= delay != 0;
      fo.syn[fill[pr.source][s]++] =
          Synapse{static_cast<uint32_t>(base + d) | (delay << kTargetBits), effective_weight(pr.weights[k], pr.format)};
    });
  }
  acc_.assign(uint64_t{slots_} * total_, 0);
  state_.resize(total_);
  spikes_.resize(total_);
  current_.resize(total_);
  payload_.resize(total_);
  sent_.resize(total_);
  reset();
}

void ReferenceSimulator::reset() {
  std::fill(acc_.begin(), acc_.end(), 0);
  std::fill(state_.begin(), state_.end(), CompartmentState{});
  std::fill(spikes_.begin(), spikes_.end(), 0);
  std::fill(current_.begin(), current_.end(), 0);
  std::fill(payload_.begin(), payload_.end(), 0);
  std::fill(sent_.begin(), sent_.end(), 0);
  t_ = 0;
  context_start_ = 0;
}

void ReferenceSimulator::set_context(uint32_t context) {
  context_ = context;
  context_start_ = t_;
}

void ReferenceSimulator::set_bias_times(const std::vector<BiasTime>& times) {
  if (!times.empty() && times.size() != net_.populations.size())
    throw Error("reference simulator: set_bias_times: expected one entry per population (" +
                std::to_string(net_.populations.size()) + "), got " + std::to_string(times.size()));
  bias_times_ = times;
}

void ReferenceSimulator::set_input(uint32_t p, const int32_t* payloads) {
  std::copy(payloads, payloads + net_.populations[p].size(), payload_.begin() + offset_[p]);
}

CompartmentState ReferenceSimulator::state(uint32_t p, uint64_t i) const { return state_[offset_[p] + i]; }

void ReferenceSimulator::update_population(uint32_t p, uint64_t slot) {
  const Population& pop = net_.populations[p];
  const uint64_t n = pop.size(), o = offset_[p];
  uint32_t* acc = acc_.data() + slot * total_ + o;
  if (pop.kind == NeuronKind::Input) {
    for (uint64_t i = 0; i < n; ++i) {
      sent_[o + i] = payload_[o + i];
      spikes_[o + i] = payload_[o + i] != 0;
    }
    return;
  }
  const bool can_spike = pop.kind == NeuronKind::Cuba;
  const uint64_t t = t_ - context_start_;
  // Without a bias table the bias is a parameter: no per-neuron table lookup.
  const bool static_bias = !pop.has_bias_table();
  bool bias_on = t >= pop.bias_start;
  uint32_t context = context_;
  uint64_t bias_t = t;
  if (!bias_times_.empty()) {  // pipelined: the population's own call (or none: bias off)
    const BiasTime& bt = bias_times_[p];
    bias_on = bt.active && bt.t >= pop.bias_start;
    context = bt.context;
    bias_t = bt.t;
  }
  const bool reset_due = periodic_reset_due(t_, pop.reset_interval, pop.reset_offset);
  const auto bias_of = [&](uint64_t i, const CompartmentParams& q_params) -> int64_t {
    return !bias_on      ? 0
           : static_bias ? bias_value(q_params.bias_mant, q_params.bias_exp)
                         : pop.bias_at(context, bias_t, i);
  };
  if (pop.kind == NeuronKind::Sdnn) {
    const bool delta = pop.takes_stimulus();
    for (uint64_t i = 0; i < n; ++i) {
      const CompartmentParams& q_params = pop.param(i);
      const int64_t bias = bias_of(i, q_params);
      if (reset_due) reset_compartment(state_[o + i]);
      // A delta encoder's a_in is the host's value for this step; the others' the synaptic sum (mod 2^32).
      const int64_t a_in = delta ? payload_[o + i] : static_cast<int32_t>(acc[i]);
      acc[i] = 0;
      const int32_t sent = update_sdnn(state_[o + i], pop.sdnn, q_params.vth_mant, a_in, bias);
      sent_[o + i] = sent;
      spikes_[o + i] = sent != 0;
    }
    return;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const CompartmentParams& q_params = pop.param(i);
    const int64_t bias = bias_of(i, q_params);
    if (reset_due) reset_compartment(state_[o + i]);
    // The accumulator holds the synaptic sum modulo 2^32; nengo-loihi's arithmetic wraps it to 22 bits.
    const int64_t q = static_cast<int32_t>(acc[i]);
    acc[i] = 0;
    const CompartmentOutput out = update_compartment(pop.arithmetic, state_[o + i], q_params, q, bias, can_spike);
    spikes_[o + i] = out.spike;
    current_[o + i] = out.current;
  }
}

void ReferenceSimulator::scatter_conv(const ConvTaps& c, uint64_t src_index, int32_t payload) {
  const Projection& pr = net_.projections[c.projection];
  const ConvChannels ch = ConvChannels::of(net_, pr);
  const auto& ss = net_.populations[pr.source].shape;
  const auto& ds = net_.populations[pr.target].shape;
  const uint32_t ci = static_cast<uint32_t>(src_index / ch.in_pixels);
  const uint64_t pix = src_index % ch.in_pixels;
  const uint32_t group = ch.group_of_input(ci);
  const uint64_t base = offset_[pr.target] + uint64_t{group} * ch.cout_per_group * ch.out_pixels;
  // Transposed kernel: the cout_per_group weights of one (input channel, tap) are contiguous.
  const uint64_t row0 = uint64_t{ci} * ch.taps;
  const bool graded = net_.populations[pr.source].sends_graded();
  const int frac = net_.populations[pr.source].payload_frac_bits;
  const uint32_t n = ch.cout_per_group;
  const uint64_t stride = ch.out_pixels;
  for_each_conv_tap(pr.conv, ds[1], ds[2], static_cast<uint32_t>(pix / ss[2]), static_cast<uint32_t>(pix % ss[2]),
                    [&](uint64_t out_pixel, uint32_t tap) {
                      const uint64_t row = (row0 + tap) * n;
                      const int32_t* w = c.weights.data() + row;
                      synaptic_events_ += n;
                      if (c.delays.size() == 1) {
                        uint32_t* dst = slot_for_delay(c.delays[0]) + base + out_pixel;
                        if (graded) {
                          for (uint32_t j = 0; j < n; ++j)
                            dst[j * stride] += static_cast<uint32_t>(graded_contribution(w[j], payload, frac));
                        } else {
                          for (uint32_t j = 0; j < n; ++j) dst[j * stride] += static_cast<uint32_t>(w[j]);
                        }
                        return;
                      }
                      for (uint32_t j = 0; j < n; ++j) {
                        const int64_t v = graded ? graded_contribution(w[j], payload, frac) : w[j];
                        slot_for_delay(c.delays[row + j])[base + out_pixel + j * stride] += static_cast<uint32_t>(v);
                      }
                    });
}

void ReferenceSimulator::deliver(uint32_t p) {
  const Population& pop = net_.populations[p];
  const uint64_t n = pop.size(), o = offset_[p];
  const FanOut& fo = fanout_[p];
  const bool graded = pop.sends_graded();
  const int frac = pop.payload_frac_bits;
  uint32_t* next = slot_for_delay(0);
  uint32_t* slot[kMaxDelay + 1];
  if (fo.any_delay)
    for (uint32_t d = 0; d + 2 <= slots_; ++d) slot[d] = slot_for_delay(d);
  // Gather the spiking neurons first so that each one's synapse row (a random place in a large array)
  // can be prefetched a few spikes ahead of its use: the row's first read is the loop's main stall.
  spiking_.clear();
  for (uint64_t i = 0; i < n; ++i)
    if (spikes_[o + i]) spiking_.push_back(i);
  constexpr size_t kAhead = 4;
  for (size_t k = 0; k < spiking_.size(); ++k) {
    if (k + kAhead < spiking_.size()) __builtin_prefetch(fo.syn.data() + fo.begin[spiking_[k + kAhead]]);
    const uint64_t i = spiking_[k];
    ++spike_count_;
    const Synapse* s = fo.syn.data() + fo.begin[i];
    const Synapse* e = fo.syn.data() + fo.begin[i + 1];
    synaptic_events_ += static_cast<uint64_t>(e - s);
    if (graded) {
      const int32_t pay = sent_[o + i];
      for (; s != e; ++s) {
        uint32_t* dst = fo.any_delay ? slot[s->target_delay >> kTargetBits] : next;
        dst[s->target_delay & kTargetMask] += static_cast<uint32_t>(graded_contribution(s->weight, pay, frac));
      }
    } else if (!fo.any_delay) {
      for (; s != e; ++s) next[s->target_delay] += static_cast<uint32_t>(s->weight);  // delay bits are 0
    } else {
      for (; s != e; ++s)
        slot[s->target_delay >> kTargetBits][s->target_delay & kTargetMask] += static_cast<uint32_t>(s->weight);
    }
    for (const auto& c : conv_[p]) scatter_conv(c, i, graded ? sent_[o + i] : 1);
  }
}

void ReferenceSimulator::step() {
  const uint64_t slot = t_ % slots_;
  for (uint32_t p = 0; p < net_.populations.size(); ++p) update_population(p, slot);
  for (uint32_t p = 0; p < net_.populations.size(); ++p) deliver(p);
  std::fill(payload_.begin(), payload_.end(), 0);  // a payload is emitted once
  ++t_;
}

SimResult run_reference(const Network& net, const Stimulus& stim, uint32_t timesteps, uint32_t context,
                        const std::function<void(const ReferenceSimulator&)>& after_step) {
  validate_stimulus(net, stim, "stimulus");
  ReferenceSimulator sim(net);
  sim.set_context(context);
  SimResult r;
  r.timesteps = timesteps;
  const size_t np = net.populations.size();
  r.spikes.resize(np);
  r.currents.resize(np);
  r.payloads.resize(np);
  for (size_t p = 0; p < np; ++p) {
    r.names.push_back(net.populations[p].name);
    r.spikes[p].reserve(uint64_t{timesteps} * net.populations[p].size());
    if (net.populations[p].kind == NeuronKind::Readout)
      r.currents[p].reserve(uint64_t{timesteps} * net.populations[p].size());
    if (net.populations[p].kind == NeuronKind::Sdnn)
      r.payloads[p].reserve(uint64_t{timesteps} * net.populations[p].size());
  }
  for (uint32_t t = 0; t < timesteps; ++t) {
    for (const auto& rows : stim.inputs)
      if (t < rows.timesteps)
        sim.set_input(rows.population, rows.payloads.data() + uint64_t{t} * net.populations[rows.population].size());
    sim.step();
    for (uint32_t p = 0; p < np; ++p) {
      const uint64_t n = net.populations[p].size();
      r.spikes[p].insert(r.spikes[p].end(), sim.spikes(p), sim.spikes(p) + n);
      if (net.populations[p].kind == NeuronKind::Readout)
        r.currents[p].insert(r.currents[p].end(), sim.currents(p), sim.currents(p) + n);
      if (net.populations[p].kind == NeuronKind::Sdnn)
        r.payloads[p].insert(r.payloads[p].end(), sim.sent(p), sim.sent(p) + n);
    }
    if (after_step) after_step(sim);
  }
  r.synaptic_events = sim.synaptic_events();
  r.spike_count = sim.spike_count();
  return r;
}

void write_result(const SimResult& r, const std::string& path) {
  H5File f = H5File::create(path);
  f.write_attr_string("/", "format", "spikemesh-raster");
  f.write_attr_int("/", "version", 1);
  f.write_attr_int("/", "timesteps", r.timesteps);
  f.write_attr_int("/", "synaptic_events", static_cast<int64_t>(r.synaptic_events));
  f.write_attr_int("/", "spike_count", static_cast<int64_t>(r.spike_count));
  f.create_group("/populations");
  for (size_t p = 0; p < r.names.size(); ++p) {
    const std::string at = "/populations/" + r.names[p];
    const uint64_t n = r.timesteps ? r.spikes[p].size() / r.timesteps : 0;
    f.write_uint8(at + "/spikes", r.spikes[p].data(), {r.timesteps, n}, true);
    if (!r.currents[p].empty()) f.write_int32(at + "/currents", r.currents[p].data(), {r.timesteps, n}, true);
    if (p < r.payloads.size() && !r.payloads[p].empty())
      f.write_int32(at + "/payloads", r.payloads[p].data(), {r.timesteps, n}, true);
    f.write_attr_int(at, "index", static_cast<int64_t>(p));  // network order; HDF5 lists groups by name
  }
}

SimResult read_result(const std::string& path) {
  H5File f = H5File::open_read(path);
  if (!f.has_attribute("/", "format") || f.read_attr_string("/", "format") != "spikemesh-raster")
    f.fail("/", "expected attribute format = 'spikemesh-raster'");
  SimResult r;
  r.timesteps = static_cast<uint32_t>(f.read_attr_int("/", "timesteps"));
  r.synaptic_events = static_cast<uint64_t>(f.read_attr_int("/", "synaptic_events"));
  r.spike_count = static_cast<uint64_t>(f.read_attr_int("/", "spike_count"));
  auto names = f.children("/populations");
  std::vector<std::pair<int64_t, std::string>> ordered;
  for (const auto& name : names) ordered.emplace_back(f.read_attr_int("/populations/" + name, "index"), name);
  std::sort(ordered.begin(), ordered.end());
  for (const auto& [index, name] : ordered) {
    const std::string at = "/populations/" + name;
    r.names.push_back(name);
    auto s = f.read_ints(at + "/spikes");
    r.spikes.emplace_back(s.begin(), s.end());
    std::vector<int32_t> c;
    if (f.exists(at + "/currents")) {
      auto v = f.read_ints(at + "/currents");
      c.assign(v.begin(), v.end());
    }
    r.currents.push_back(std::move(c));
    std::vector<int32_t> pay;
    if (f.exists(at + "/payloads")) {
      auto v = f.read_ints(at + "/payloads");
      pay.assign(v.begin(), v.end());
    }
    r.payloads.push_back(std::move(pay));
  }
  return r;
}

Stimulus read_stimulus(const Network& net, const std::string& path) {
  H5File f = H5File::open_read(path);
  Stimulus s;
  const bool inputs = f.is_group("/inputs");
  if (!inputs && !f.is_group("/biases"))
    f.fail("/inputs", "missing group: a stimulus file holds /inputs/<population> or /biases/<population> datasets");
  for (const auto& name : inputs ? f.children("/inputs") : std::vector<std::string>{}) {
    const std::string ds = "/inputs/" + name;
    const int p = net.find(name);
    if (p < 0) f.fail(ds, "no population named '" + name + "' in the network");
    // The declared shape is checked before anything is read or allocated.
    const Shape sh = f.shape(ds);
    const uint64_t n = net.populations[p].size();
    if (sh.size() != 2 || sh[1] != n || sh[0] > UINT32_MAX)
      f.fail(ds, "expected shape (timesteps < 2^32, " + std::to_string(n) + "), got " + shape_str(sh));
    auto v = f.read_ints(ds);
    Stimulus::Rows rows{static_cast<uint32_t>(p), static_cast<uint32_t>(sh[0]), {}};
    rows.payloads.reserve(v.size());
    for (auto x : v) {
      if (x < INT32_MIN || x > INT32_MAX) f.fail(ds, "payload " + std::to_string(x) + " does not fit 32 bits");
      rows.payloads.push_back(static_cast<int32_t>(x));
    }
    s.inputs.push_back(std::move(rows));
  }
  if (f.is_group("/biases")) {
    for (const auto& name : f.children("/biases")) {
      const std::string ds = "/biases/" + name;
      const int p = net.find(name);
      if (p < 0) f.fail(ds, "no population named '" + name + "' in the network");
      const Shape sh = f.shape(ds);
      if (sh.size() != 1 || sh[0] != net.populations[p].size())
        f.fail(ds, "expected shape (" + std::to_string(net.populations[p].size()) + ",), got " + shape_str(sh));
      Stimulus::Biases b{static_cast<uint32_t>(p), {}};
      for (auto x : f.read_ints(ds)) {
        if (x < kBiasMantMin || x > kBiasMantMax)
          f.fail(ds, "bias mantissa " + std::to_string(x) + " outside [" + std::to_string(kBiasMantMin) + ", " +
                         std::to_string(kBiasMantMax) + "] (13-bit signed)");
        b.mant.push_back(static_cast<int16_t>(x));
      }
      s.biases.push_back(std::move(b));
    }
  }
  validate_stimulus(net, s, path);
  return s;
}

Network apply_stimulus_biases(Network net, const Stimulus& s) {
  validate_stimulus(net, s, "stimulus");
  for (const auto& b : s.biases) {
    Population& p = net.populations[b.population];
    if (p.params.size() == 1) p.params.assign(p.size(), p.params[0]);
    for (size_t i = 0; i < b.mant.size(); ++i) p.params[i].bias_mant = b.mant[i];
  }
  return net;
}

void write_stimulus(const Network& net, const Stimulus& s, const std::string& path) {
  validate_stimulus(net, s, path);
  H5File f = H5File::create(path);
  f.create_group("/inputs");
  for (const auto& rows : s.inputs) {
    const auto& p = net.populations[rows.population];
    f.write_int32("/inputs/" + p.name, rows.payloads.data(), {rows.timesteps, p.size()}, true);
  }
  if (!s.biases.empty()) f.create_group("/biases");
  for (const auto& b : s.biases) {
    const auto& p = net.populations[b.population];
    f.write_ints("/biases/" + p.name, std::vector<int64_t>(b.mant.begin(), b.mant.end()), {p.size()}, 2);
  }
}

}  // namespace spikemesh
