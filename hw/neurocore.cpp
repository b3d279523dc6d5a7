// Neurocore; see neurocore.h for its units and timing contract.
#include "neurocore.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "conv_taps.h"
#include "core_timing.h"
#include "error.h"
#include "synapse_memory.h"
#include "tracer.h"

namespace spikemesh {

Neurocore::Neurocore(sc_core::sc_module_name name, uint32_t index, const Network& net, const ChipProgram& chip,
                     const ChipParams& params, RunState& run, Router& router)
    : sc_module(name),
      index_(index),
      net_(net),
      chip_(chip),
      program_(chip.cores[index]),
      params_(params),
      run_(run),
      router_(router),
      local_(chip.geometry.place(index).local) {
  state_.resize(program_.compartments);
  slots_ = chip.max_delay + 2;
  acc_.assign(uint64_t{slots_} * program_.compartments, 0);
  output_port_.core = this;
  for (const CoreSegment& seg : program_.segments) {
    const Population& pop = net.populations[seg.population];
    const uint64_t lo = pop.has_bias_table() ? pop.bias_column(seg.first) : 0;
    bias_column_lo_.push_back(lo);
    bias_reg_.emplace_back(pop.has_bias_table() ? pop.bias_column(seg.first + seg.count - 1) - lo + 1 : 0, int16_t{0});
  }
  decode();
}

void Neurocore::decode() {
  const auto& table = program_.formats;
  for (const InputAxonEntry& e : program_.input_axons) {
    Axon a{};
    const Population& src = net_.populations[e.source_population];
    a.graded = src.sends_graded();
    a.frac_bits = src.payload_frac_bits;
    if (e.kind == AxonKind::Discrete) {
      a.begin = static_cast<uint32_t>(synapses_.size());
      a.words = e.words;
      uint32_t dense = 0;
      unpack_list(program_.synapse_words.data() + e.word_offset, e.words, table, [&](const UnpackedSynapse& s) {
        const SynapseFormat& f = table[s.format_id];
        synapses_.push_back({s.compartment | uint32_t{s.delay} << 24, effective_weight(s.mantissa, f.weight)});
        dense += f.layout == BlockLayout::Dense;
      });
      a.end = static_cast<uint32_t>(synapses_.size());
      a.synops_dense = dense;
      if (dense != a.synops_dense) throw Error("neurocore: more than 2^24 dense synapses on one axon");
    } else {
      a.conv = 1;
      a.begin = static_cast<uint32_t>(conv_axons_.size());
      conv_axons_.push_back({e.kernel, e.pixel_y, e.pixel_x});
    }
    axons_.push_back(a);
  }
  slot_offset_.assign(chip_.max_delay + 1, 0);
  for (const ConvKernelEntry& e : program_.kernels) {
    const Projection& pr = net_.projections[e.projection];
    const auto& ds = net_.populations[pr.target].shape;
    Kernel k;
    k.geometry = pr.conv;
    k.out_w = ds[2];
    k.y_lo = e.y_lo;
    k.y_hi = e.y_hi;
    k.taps = pr.conv.kernel_h * pr.conv.kernel_w;
    k.out_pixels = uint64_t{ds[1]} * ds[2];
    k.co_lo = e.co_lo;
    k.tiles.resize(e.co_hi - e.co_lo + 1);
    for (const auto& s : program_.segments) {  // a segment covers a pixel range of each channel it spans
      if (s.population != pr.target) continue;
      for (uint64_t t = s.first; t < s.first + s.count;) {
        const uint64_t co = t / k.out_pixels, end = std::min(s.first + s.count, (co + 1) * k.out_pixels);
        if (co < e.co_lo || co > e.co_hi || k.tiles[co - e.co_lo].pix_hi > 0)
          throw Error("neurocore: conv kernel of projection '" + pr.name + "' does not match the core's segments");
        k.tiles[co - e.co_lo] = {t - co * k.out_pixels, end - co * k.out_pixels,
                                 s.base + static_cast<uint32_t>(t - s.first)};
        t = end;
      }
    }
    for (size_t ci = 0; ci < e.row_words.size(); ++ci) {
      KernelRow row;
      row.co_first = e.row_co_first[ci];
      row.co_count = e.row_co_count[ci];
      row.words = e.row_words[ci];
      unpack_list(program_.synapse_words.data() + e.row_offset[ci], e.row_words[ci], table,
                  [&](const UnpackedSynapse& s) {
                    row.weight.push_back(effective_weight(s.mantissa, table[s.format_id].weight));
                    row.delay.push_back(s.delay);
                  });
      if (row.weight.size() != uint64_t{row.co_count} * k.taps)
        throw Error("synaptic memory image: conv kernel row holds " + std::to_string(row.weight.size()) +
                    " weights, expected " + std::to_string(uint64_t{row.co_count} * k.taps));
      k.rows.push_back(std::move(row));
    }
    kernels_.push_back(std::move(k));
  }
}

void Neurocore::queue_spike(uint32_t compartment, int32_t payload, uint64_t spike_cycle) {
  const uint32_t first = program_.out_begin[compartment], end = program_.out_begin[compartment + 1];
  if (first == end) return;
  if (spikes_out_.empty()) next_dest_ = first;
  spikes_out_.push_back({first, end, payload, spike_cycle});
  counters_.messages_out += end - first;
  counters_.output_cycles += uint64_t{end - first} * params_.core.axon_out_cycles;
  run_.outstanding += end - first;
}

void Neurocore::hand_next_message(uint64_t earliest) {
  in_port_ = false;
  if (next_spike_ == spikes_out_.size()) {
    hand_next_response(earliest);
    return;
  }
  const SpikeOut& sp = spikes_out_[next_spike_];
  const Destination& d = program_.out[next_dest_];
  Flit f;
  f.axon = d.axon;
  f.atom = d.atom;
  f.payload = sp.payload;
  f.list_synapses = d.synapses;
  const uint64_t ready = send(f, sp.cycle, d.x, d.y, d.local);
  if (++next_dest_ == sp.end) {
    ++next_spike_;
    if (next_spike_ < spikes_out_.size()) next_dest_ = spikes_out_[next_spike_].first;
    // The output axon table is read in spike order, long after the sweep: fetch the next lists early.
    if (next_spike_ + 2 < spikes_out_.size())
      __builtin_prefetch(program_.out.data() + spikes_out_[next_spike_ + 2].first);
  }
  in_port_ = true;
  if (earliest > ready) {
    if (earliest - ready > std::numeric_limits<uint32_t>::max())
      throw Error(std::string(name()) + ": a message waited more than 2^32 cycles in the output queue");
    f.queued_cycles = static_cast<uint32_t>(earliest - ready);
  }
  router_.inject(local_, f, std::max(ready, earliest));
}

uint64_t Neurocore::send(Flit& f, uint64_t cycle, uint16_t x, uint16_t y, uint16_t local) {
  const ServiceSlot s = serve(cycle, output_free_, params_.core.axon_out_cycles);
  if (output_busy_starts_.empty() || s.start > output_free_) output_busy_starts_.push_back(s.start);
  output_free_ = s.finish;
  if (tracer_) tracer_->interval(sig_output_, s.start, s.finish);
  f.src_core = index_;
  f.id = run_.next_flit_id++;
  f.emitted_cycle = s.finish;
  f.dest_x = x;
  f.dest_y = y;
  f.dest_local = local;
  return s.finish + params_.router.inject_cycles;
}

void Neurocore::hand_next_response(uint64_t earliest) {
  if (next_response_ == responses_.size()) {
    responses_.clear();
    next_response_ = 0;
    return;
  }
  const Response& r = responses_[next_response_++];
  Flit f;
  f.kind = MessageKind::ReadResponse;
  f.atom = r.population;
  f.axon = r.neuron;
  f.payload = r.value;
  const uint64_t ready = send(f, r.ready, static_cast<uint16_t>(run_.management.x),
                              static_cast<uint16_t>(run_.management.y), static_cast<uint16_t>(run_.management.local));
  in_port_ = true;
  router_.inject(local_, f, std::max(ready, earliest));
}

uint64_t Neurocore::queued_messages() const {
  uint64_t n = 0;
  for (size_t k = next_spike_; k < spikes_out_.size(); ++k) n += spikes_out_[k].end - spikes_out_[k].first;
  n = next_spike_ < spikes_out_.size() ? n - (next_dest_ - spikes_out_[next_spike_].first) : 0;
  return n + (responses_.size() - next_response_);
}

void Neurocore::begin_step(uint32_t t, uint64_t t0) {
  t_ = t;
  for (uint32_t d = 0; d < slot_offset_.size(); ++d)
    slot_offset_[d] = uint64_t{(t + 1 + d) % slots_} * program_.compartments;
  output_free_ = std::max(output_free_, t0);
  output_busy_starts_.clear();
  spikes_out_.clear();
  next_spike_ = 0;
  const uint64_t slot = uint64_t{t % slots_} * program_.compartments;
  uint64_t cycle = t0;
  const bool probing = tracer_ && !probe_of_.empty();
  for (size_t sk = 0; sk < program_.segments.size(); ++sk) {
    const CoreSegment& seg = program_.segments[sk];
    const Population& pop = net_.populations[seg.population];
    const uint64_t n = pop.size();
    const uint64_t row = run_.single_row ? 0 : t;
    uint8_t* spikes = run_.result->spikes[seg.population].data() + row * n;
    if (pop.kind == NeuronKind::Input) {
      const auto& pay = run_.payloads[seg.population];
      for (uint32_t k = 0; k < seg.count; ++k) {
        const int32_t p = pay.empty() ? 0 : pay[seg.first + k];
        spikes[seg.first + k] = p != 0;
        if (p == 0) continue;
        ++counters_.spikes;
        if (tracer_) tracer_->pulse(sig_spike_, cycle);
        queue_spike(seg.base + k, p, cycle);
      }
      continue;
    }
    if (pop.kind == NeuronKind::Sdnn) {
      cycle = sweep_sdnn(sk, slot, row, t0, cycle);
      continue;
    }
    const bool can_spike = pop.kind == NeuronKind::Cuba;
    int32_t* currents =
        pop.kind == NeuronKind::Readout ? run_.result->currents[seg.population].data() + row * n : nullptr;
    // A periodic reset (model/neuron.h periodic_reset_due) costs no cycle: the sweep reads each compartment's
    // u, v and refractory count for its update anyway, and a reset feeds zeros in their place.
    const bool reset_due = periodic_reset_due(t, pop.reset_interval, pop.reset_offset);
    const StateRow rec = state_row(sk);
    for (uint32_t k = 0; k < seg.count; ++k) {
      const uint32_t c = seg.base + k;
      const uint64_t i = seg.first + k;
      if (reset_due) reset_compartment(state_[c]);
      const int64_t q = static_cast<int32_t>(acc_[slot + c]);  // nengo-loihi's arithmetic wraps q to 22 bits
      acc_[slot + c] = 0;
      const int64_t bias = bias_of(sk, i);
      const bool inactive = is_inactive_update(state_[c], q, bias, params_.core.updated_by_potential);
      if (probing) probe_state(c, t0, false);
      const CompartmentOutput out = update_compartment(pop.arithmetic, state_[c], pop.param(i), q, bias, can_spike);
      cycle += update_cycles(params_.core, inactive);
      if (probing) probe_state(c, cycle, true);
      ++(inactive ? counters_.updates_inactive : counters_.updates_active);
      spikes[i] = out.spike;
      if (currents) currents[i] = out.current;
      if (rec.u) rec.u[i] = state_[c].u, rec.v[i] = state_[c].v;
      if (out.spike) cycle = fire(c, 1, cycle);
    }
  }
  counters_.sweep_cycles += cycle - t0;
  sweep_end_ = cycle;
  if (tracer_) tracer_->interval(sig_sweep_, t0, cycle);
  hand_next_message(0);
  counters_.busy_cycles = counters_.sweep_cycles + counters_.dendrite_cycles + counters_.output_cycles;
}

// A sigma-delta compartment (model/neuron.h update_sdnn) takes update_active_cycles: like a CUBA update it
// reads its accumulator slot and its state registers (sigma, act, residue in place of u, v) and writes
// them back, and it always computes (the activation and the delta are evaluated every step, there is no
// idle state to skip). A non-zero result leaves as one graded spike, queued like a CUBA spike (spike_out_cycles
// in the sweep, then axon_out_cycles per message): a graded spike is one flit carrying its 32-bit payload,
// as every message is (hw/flit.h), so it costs what a binary spike costs on the mesh and at the receiving
// dendrite, where each synapse adds w_eff * payload / 2^spike_exp (graded_contribution) in one synop.
void Neurocore::probe_state(uint32_t c, uint64_t cycle, bool updated) {
  const uint32_t k = probe_of_[c];
  if (k == kNoProbe) return;
  tracer_->set(probe_sig_u_[k], cycle, state_[c].u);
  tracer_->set(probe_sig_v_[k], cycle, state_[c].v);
  if (updated && tracer_->in_window()) tracer_->record_probe(probe_index_[k], state_[c].u, state_[c].v);
}

int64_t Neurocore::bias_of(size_t sk, uint64_t i) const {
  const Population& pop = net_.populations[program_.segments[sk].population];
  if (run_.bias_registers && pop.has_bias_table())
    return bias_value(bias_reg_[sk][pop.bias_column(i) - bias_column_lo_[sk]], pop.param(i).bias_exp);
  return pop.bias_at(run_.context, t_, i);
}

uint64_t Neurocore::sweep_sdnn(size_t sk, uint64_t slot, uint64_t row, uint64_t t0, uint64_t cycle) {
  const CoreSegment& seg = program_.segments[sk];
  const Population& pop = net_.populations[seg.population];
  const bool probing = tracer_ && !probe_of_.empty();
  const uint64_t n = pop.size();
  uint8_t* spikes = run_.result->spikes[seg.population].data() + row * n;
  int32_t* sent = run_.result->payloads[seg.population].data() + row * n;
  const bool delta = pop.takes_stimulus();
  const auto& host = run_.payloads[seg.population];
  const bool reset_due = periodic_reset_due(t_, pop.reset_interval, pop.reset_offset);
  const StateRow rec = state_row(sk);
  for (uint32_t k = 0; k < seg.count; ++k) {
    const uint32_t c = seg.base + k;
    const uint64_t i = seg.first + k;
    if (reset_due) reset_compartment(state_[c]);
    // A delta encoder's a_in is the host's write for this step (the register an input's payload uses).
    const int64_t a_in = delta ? (host.empty() ? 0 : host[i]) : static_cast<int32_t>(acc_[slot + c]);
    acc_[slot + c] = 0;
    if (probing) probe_state(c, t0, false);
    const int32_t out = update_sdnn(state_[c], pop.sdnn, pop.param(i).vth_mant, a_in, bias_of(sk, i));
    cycle += params_.core.update_active_cycles;
    if (probing) probe_state(c, cycle, true);
    ++counters_.updates_active;
    spikes[i] = out != 0;
    sent[i] = out;
    if (rec.u) rec.u[i] = state_[c].u, rec.v[i] = state_[c].v;
    if (out != 0) cycle = fire(c, out, cycle);
  }
  return cycle;
}

Neurocore::StateRow Neurocore::state_row(size_t sk) const {
  if (!run_.state) return {};
  const uint32_t p = program_.segments[sk].population;
  const int64_t row = run_.state->row(t_), slot = run_.state->slot(p);
  if (row < 0 || slot < 0) return {};
  const uint64_t at = static_cast<uint64_t>(row) * net_.populations[p].size();
  return {run_.state->u[slot].data() + at, run_.state->v[slot].data() + at};
}

// Compartment c fired (payload 1 for a binary spike) at `cycle` of the sweep: the soma's spike-out step, then
// the spike joins the output queue. Returns the cycle the sweep goes on at.
uint64_t Neurocore::fire(uint32_t c, int32_t payload, uint64_t cycle) {
  cycle += params_.core.spike_out_cycles;  // the soma's spike-out step, before the output stage sees it
  ++counters_.spikes;
  if (tracer_) tracer_->pulse(sig_spike_, cycle);
  queue_spike(c, payload, cycle);
  // SANA-FE's serial chain: the next update waits until this spike's messages are generated (the output stage
  // is idle at `cycle`: the sweep waited for every earlier message).
  if (params_.core.sweep_waits_for_output)
    cycle += uint64_t{program_.out_begin[c + 1] - program_.out_begin[c]} * params_.core.axon_out_cycles;
  return cycle;
}

void Neurocore::reset_state() {
  std::fill(state_.begin(), state_.end(), CompartmentState{});
  std::fill(acc_.begin(), acc_.end(), 0u);
}

void Neurocore::flush() {
  uint32_t* acc = acc_.data();
  const uint64_t* slot = slot_offset_.data();
  const size_t n = pending_.size();
  constexpr size_t kAhead = 8;
  for (size_t k = 0; k < std::min(n, kAhead); ++k) __builtin_prefetch(&axons_[pending_[k].axon]);
  for (size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) __builtin_prefetch(&axons_[pending_[k + kAhead].axon]);
    if (k + kAhead / 2 < n) __builtin_prefetch(synapses_.data() + axons_[pending_[k + kAhead / 2].axon].begin);
    const Axon a = axons_[pending_[k].axon];
    counters_.words_read += a.words;
    counters_.synops_dense += a.synops_dense;
    counters_.synops_sparse += (a.end - a.begin) - a.synops_dense;
    const Synapse* s = synapses_.data() + a.begin;
    const Synapse* e = synapses_.data() + a.end;
    if (!a.graded) {
      for (; s != e; ++s)
        acc[slot[s->compartment_delay >> 24] + (s->compartment_delay & 0xffffff)] += static_cast<uint32_t>(s->weight);
    } else {
      const int32_t payload = pending_[k].payload;
      for (; s != e; ++s)
        acc[slot[s->compartment_delay >> 24] + (s->compartment_delay & 0xffffff)] +=
            static_cast<uint32_t>(graded_contribution(s->weight, payload, a.frac_bits));
    }
  }
  pending_.clear();
}

void Neurocore::receive(const Flit& f, uint64_t arrival) {
  if (f.kind != MessageKind::Spike) {
    receive_management(f, arrival);
    return;
  }
  uint64_t synops = f.list_synapses;
  if (synops > 0) {
    pending_.push_back({f.axon, f.payload});
  } else if (axons_[f.axon].conv) {
    uint32_t* acc = acc_.data();
    const uint64_t* slot = slot_offset_.data();
    const Axon a = axons_[f.axon];
    const ConvAxon& ca = conv_axons_[a.begin];
    const Kernel& kern = kernels_[ca.kernel];
    const KernelRow& row = kern.rows[f.atom];
    counters_.words_read += row.words;
    const ChannelTile* tiles = row.co_count ? kern.tiles.data() + (row.co_first - kern.co_lo) : nullptr;
    for_each_conv_tap_in_rows(
        kern.geometry, kern.y_lo, kern.y_hi, kern.out_w, ca.y, ca.x, [&](uint64_t pix, uint32_t tap) {
          for (uint32_t j = 0; j < row.co_count; ++j) {
            const ChannelTile& tile = tiles[j];
            if (pix < tile.pix_lo || pix >= tile.pix_hi) continue;
            const uint32_t w = j * kern.taps + tap;
            const uint32_t c = tile.base + static_cast<uint32_t>(pix - tile.pix_lo);
            acc[slot[row.delay[w]] + c] += static_cast<uint32_t>(
                a.graded ? graded_contribution(row.weight[w], f.payload, a.frac_bits) : row.weight[w]);
            ++synops;
          }
        });
    counters_.synops_conv += synops;
  }
  book_input(f, arrival, message_service_cycles(params_.core, synops));
  if (--run_.outstanding == 0) run_.scheduler->notify_now(*run_.drained);
}

ServiceSlot Neurocore::book_input(const Flit& f, uint64_t arrival, uint64_t cycles) {
  if (arrival >= dendrite_free_)
    dendrite_busy_ = {arrival, f.emitted_cycle, f.src_core, f.queued_cycles};  // found it idle
  const ServiceSlot s = serve(arrival, dendrite_free_, cycles);
  dendrite_free_ = s.finish;
  if (tracer_) {  // in the FIFO from its arrival through the cycle its service starts (credit at start + 1)
    tracer_->interval(sig_fifo_, arrival, s.start + 1);
    tracer_->interval(sig_dendrite_, s.start, s.finish);
  }
  eject_credit_->give_back(s.start + 1);
  while (!waiting_starts_.empty() && waiting_starts_.front() < arrival) waiting_starts_.pop();
  waiting_starts_.push(s.start);
  counters_.peak_input_fifo = std::max<uint64_t>(counters_.peak_input_fifo, waiting_starts_.size());
  counters_.dendrite_cycles += cycles;
  counters_.busy_cycles = counters_.sweep_cycles + counters_.dendrite_cycles + counters_.output_cycles;
  ++counters_.messages_in;
  return s;
}

uint64_t Neurocore::output_busy_since(uint64_t cycle) const {
  const auto it = std::lower_bound(output_busy_starts_.begin(), output_busy_starts_.end(), cycle);
  if (it == output_busy_starts_.begin())
    throw Error(std::string(name()) + ": no output-stage service of this timestep ends at cycle " +
                std::to_string(cycle));
  return *(it - 1);
}

void Neurocore::receive_management(const Flit& f, uint64_t arrival) {
  const ServiceSlot s = book_input(f, arrival, message_service_cycles(params_.core, 0));
  const Population& pop = net_.populations[f.atom];
  switch (f.kind) {
    case MessageKind::ReadRequest: {
      const uint32_t count = static_cast<uint32_t>(f.payload);
      const int32_t* currents =
          run_.result->currents[f.atom].data() + (run_.single_row ? 0 : uint64_t{t_} * pop.size());
      for (uint32_t k = 0; k < count; ++k) responses_.push_back({f.atom, f.axon + k, currents[f.axon + k], s.finish});
      counters_.messages_out += count;
      counters_.output_cycles += uint64_t{count} * params_.core.axon_out_cycles;
      counters_.busy_cycles = counters_.sweep_cycles + counters_.dendrite_cycles + counters_.output_cycles;
      run_.outstanding += count;
      if (!in_port_) hand_next_message(0);
      break;
    }
    case MessageKind::Write:
    case MessageKind::BiasWrite:
    case MessageKind::Reset:
      if (!f.timing_only) apply_management(f);
      break;
    case MessageKind::Spike:
    case MessageKind::ReadResponse:
      throw Error(std::string(name()) + ": a core cannot take a " + to_string(f.kind) + " message");
  }
  if (--run_.outstanding == 0) run_.scheduler->notify_now(*run_.drained);
}

void Neurocore::apply_management(const Flit& f) {
  switch (f.kind) {
    case MessageKind::Write: {
      auto& payloads = run_.payloads[f.atom];
      if (payloads.empty()) payloads.assign(net_.populations[f.atom].size(), 0);
      payloads[f.axon] = f.payload;
      break;
    }
    case MessageKind::BiasWrite:
      for (size_t sk = 0; sk < program_.segments.size(); ++sk)
        if (program_.segments[sk].population == f.atom && f.axon >= bias_column_lo_[sk] &&
            f.axon - bias_column_lo_[sk] < bias_reg_[sk].size())
          bias_reg_[sk][f.axon - bias_column_lo_[sk]] = static_cast<int16_t>(f.payload);
      break;
    case MessageKind::Reset:
      reset_state();
      break;
    case MessageKind::Spike:
    case MessageKind::ReadRequest:
    case MessageKind::ReadResponse:
      throw Error(std::string(name()) + ": a " + std::string(to_string(f.kind)) + " message changes no register");
  }
}

void Neurocore::attach_tracer(Tracer& tracer, uint64_t messages_in_bound, const std::vector<Probe>& probes) {
  const std::string n = name();
  const uint64_t out = program_.out.size();
  tracer_ = &tracer;
  // Bounds on value changes per timestep: every compartment spikes, every output axon sends, every message
  // that can reach this core arrives (each a pulse or an interval: two changes).
  sig_spike_ = tracer.declare(n + ".spike_out", Tracer::Kind::Wire, 2 * uint64_t{program_.compartments} + 2);
  sig_sweep_ = tracer.declare(n + ".sweep_busy", Tracer::Kind::Wire, 2);
  sig_output_ = tracer.declare(n + ".output_busy", Tracer::Kind::Wire, 2 * out);
  sig_dendrite_ = tracer.declare(n + ".dendrite_busy", Tracer::Kind::Wire, 2 * messages_in_bound);
  sig_fifo_ = tracer.declare(n + ".input_fifo", Tracer::Kind::Count, 2 * messages_in_bound);
  if (!probes.empty()) probe_of_.assign(program_.compartments, kNoProbe);
  for (const Probe& p : probes) {
    probe_of_[p.compartment] = static_cast<uint32_t>(probe_sig_u_.size());
    probe_sig_u_.push_back(tracer.declare(n + ".probe_" + p.name + ".u", Tracer::Kind::Value, 2));
    probe_sig_v_.push_back(tracer.declare(n + ".probe_" + p.name + ".v", Tracer::Kind::Value, 2));
    probe_index_.push_back(p.index);
  }
}

std::string Neurocore::describe_state(uint64_t now) const {
  std::ostringstream os;
  os << name() << ": sweep done @" << sweep_end_ << ", output stage free @" << output_free_ << ", dendrite free @"
     << dendrite_free_ << (dendrite_free_ > now ? " (busy)" : "") << ", sent " << counters_.messages_out
     << ", received " << counters_.messages_in;
  return os.str();
}

}  // namespace spikemesh
