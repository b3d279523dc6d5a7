// The management core; see management_core.h for its phases and timing contract.
#include "management_core.h"

#include <sstream>

#include "core_timing.h"
#include "tracer.h"

namespace spikemesh {

ManagementCore::ManagementCore(sc_core::sc_module_name name, const Network& net, const ChipProgram& program,
                               const ChipParams& params, RunState& run, Router& router,
                               const MeshGeometry::CorePlace& place)
    : sc_module(name),
      net_(net),
      program_(program),
      params_(params),
      run_(run),
      router_(router),
      place_(place),
      holders_(net.populations.size()),
      currents_(net.populations.size()),
      inputs_(net.populations.size()) {
  output_port_.m = this;
  for (uint32_t p = 0; p < net.populations.size(); ++p) {
    const Population& pop = net.populations[p];
    if (pop.kind == NeuronKind::Readout) currents_[p].assign(pop.size(), 0);
    if (p >= program.placement.size()) continue;
    for (const ChipProgram::Placement& pl : program.placement[p]) {
      Holder h{pl.core, pl.segment, 0, {}};
      if (pop.has_bias_table()) {
        h.column_lo = pop.bias_column(pl.segment.first);
        h.bias.assign(pop.bias_column(pl.segment.first + pl.segment.count - 1) - h.column_lo + 1, 0);
      }
      holders_[p].push_back(std::move(h));
    }
  }
}

void ManagementCore::set_input(uint32_t population, const int32_t* payloads) {
  inputs_[population].assign(payloads, payloads + net_.populations[population].size());
}

void ManagementCore::compute(uint64_t elements) {
  // Counted when asked for: an image's last update is its cost even though no timestep waits for it.
  compute_pending_ += elements * params_.management.update_cycles;
  counters_.updates += elements;
  counters_.compute_cycles += elements * params_.management.update_cycles;
  counters_.busy_cycles = counters_.compute_cycles + counters_.message_cycles;
}

void ManagementCore::busy(uint64_t start, uint64_t finish) {
  if (tracer_) tracer_->interval(sig_busy_, start, finish);
}

void ManagementCore::send(MessageKind kind, uint32_t core, uint32_t population, uint64_t index, int32_t value,
                          const ApplyNow& apply_now) {
  const auto d = program_.geometry.place(core);
  Flit f;
  f.kind = kind;
  f.atom = population;
  f.axon = static_cast<uint32_t>(index);
  f.payload = value;
  f.src_core = run_.management_id;
  f.dest_x = static_cast<uint16_t>(d.x);
  f.dest_y = static_cast<uint16_t>(d.y);
  f.dest_local = static_cast<uint16_t>(d.local);
  if (apply_now) {
    f.timing_only = true;
    apply_now(core, f);
  }
  out_.push_back(f);
}

uint64_t ManagementCore::start_sending(uint64_t now, size_t first) {
  const uint64_t n = out_.size() - first;
  send_ready_ = now;
  counters_.messages_out += n;
  counters_.message_cycles += n * params_.management.message_cycles;
  counters_.busy_cycles = counters_.compute_cycles + counters_.message_cycles;
  run_.outstanding += n;
  if (n > 0 && first == next_out_) hand_next(0);  // nothing of ours waits in the local port
  return n;
}

void ManagementCore::hand_next(uint64_t earliest) {
  if (next_out_ == out_.size()) {
    out_.clear();
    next_out_ = 0;
    return;
  }
  Flit f = out_[next_out_++];
  const ServiceSlot s = serve(send_ready_, free_, params_.management.message_cycles);
  free_ = s.finish;
  busy(s.start, s.finish);
  f.id = run_.next_flit_id++;
  f.emitted_cycle = s.finish;
  const uint64_t ready = s.finish + params_.router.inject_cycles, at = std::max(ready, earliest);
  f.queued_cycles = static_cast<uint32_t>(at - ready);  // the router had not taken the previous message yet
  router_.inject(place_.local, f, at);
}

uint64_t ManagementCore::start_reads(uint64_t now) {
  const size_t first = out_.size();
  for (uint32_t p : read_pending_)
    for (const Holder& h : holders_[p]) {
      send(MessageKind::ReadRequest, h.core, p, h.segment.first, static_cast<int32_t>(h.segment.count));
      ++counters_.read_requests;
    }
  read_pending_.clear();
  return start_sending(now, first);
}

uint64_t ManagementCore::start_writes(uint64_t now, uint32_t t_next, const ApplyNow& apply_now) {
  // The DDIM update's compute comes first: the writes carry its results.
  if (compute_pending_ > 0) {
    const ServiceSlot s = serve(now, free_, compute_pending_);
    free_ = s.finish;
    busy(s.start, s.finish);
    compute_pending_ = 0;
    now = s.finish;
  }
  compute_end_ = now;
  const size_t first = out_.size();
  if (reset_pending_) {
    for (uint32_t c = 0; c < program_.cores.size(); ++c)
      if (program_.cores[c].compartments > 0) {
        send(MessageKind::Reset, c, 0, 0, 0);
        ++counters_.resets;
      }
    reset_pending_ = false;
  }
  for (uint32_t p = 0; p < net_.populations.size(); ++p) {
    const Population& pop = net_.populations[p];
    if (!pop.has_bias_table()) continue;
    const BiasTime bt = bias_times_.empty() ? BiasTime{true, context_, t_next} : bias_times_[p];
    for (Holder& h : holders_[p])
      for (uint64_t k = 0; k < h.bias.size(); ++k) {
        const int32_t want = bt.active ? pop.bias_mant_at(bt.context, bt.t, h.column_lo + k) : 0;
        if (want == h.bias[k]) continue;
        h.bias[k] = static_cast<int16_t>(want);
        send(MessageKind::BiasWrite, h.core, p, h.column_lo + k, want, apply_now);
        ++counters_.bias_writes;
      }
  }
  for (uint32_t p = 0; p < net_.populations.size(); ++p) {
    if (inputs_[p].empty()) continue;
    for (const Holder& h : holders_[p])
      for (uint32_t k = 0; k < h.segment.count; ++k) {
        const int32_t v = inputs_[p][h.segment.first + k];
        if (v == 0) continue;
        send(MessageKind::Write, h.core, p, h.segment.first + k, v, apply_now);
        ++counters_.writes;
      }
    inputs_[p].clear();
  }
  return start_sending(now, first);
}

void ManagementCore::receive(const Flit& f, uint64_t arrival) {
  const ServiceSlot s = serve(arrival, free_, params_.management.message_cycles);
  free_ = s.finish;
  busy(s.start, s.finish);
  if (tracer_) tracer_->interval(sig_fifo_, arrival, s.start + 1);
  eject_credit_->give_back(s.start + 1);
  currents_[f.atom][f.axon] = f.payload;
  ++counters_.messages_in;
  counters_.message_cycles += params_.management.message_cycles;
  counters_.busy_cycles = counters_.compute_cycles + counters_.message_cycles;
  if (--run_.outstanding == 0) run_.scheduler->notify_now(*run_.drained);
}

std::vector<uint64_t> ManagementCore::messages_to_cores_bound() const {
  std::vector<uint64_t> n(program_.cores.size(), 0);
  for (uint32_t c = 0; c < program_.cores.size(); ++c) n[c] += program_.cores[c].compartments > 0;  // reset
  for (uint32_t p = 0; p < net_.populations.size(); ++p)
    for (const Holder& h : holders_[p]) {
      const NeuronKind k = net_.populations[p].kind;
      n[h.core] += h.bias.size() + (k == NeuronKind::Input ? h.segment.count : 0) + (k == NeuronKind::Readout ? 1 : 0);
    }
  return n;
}

std::vector<uint64_t> ManagementCore::messages_from_cores_bound() const {
  std::vector<uint64_t> n(program_.cores.size(), 0);
  for (uint32_t p = 0; p < net_.populations.size(); ++p)
    if (net_.populations[p].kind == NeuronKind::Readout)
      for (const Holder& h : holders_[p]) n[h.core] += h.segment.count;
  return n;
}

void ManagementCore::attach_tracer(Tracer& tracer, uint64_t messages_per_step_bound) {
  tracer_ = &tracer;
  const std::string n = name();
  sig_busy_ = tracer.declare(n + ".busy", Tracer::Kind::Wire, 2 * messages_per_step_bound + 2);
  sig_fifo_ = tracer.declare(n + ".input_fifo", Tracer::Kind::Count, 2 * messages_per_step_bound);
}

std::string ManagementCore::describe_state(uint64_t now) const {
  std::ostringstream os;
  os << name() << ": unit free @" << free_ << (free_ > now ? " (busy)" : "") << ", " << queued_messages()
     << " message(s) waiting to enter the mesh, sent " << counters_.messages_out << ", received "
     << counters_.messages_in;
  return os.str();
}

}  // namespace spikemesh
