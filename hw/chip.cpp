// Chip top and timestep controller; see chip.h.
#include "chip.h"

#include <algorithm>
#include <sstream>

#include "error.h"
#include "routing.h"
#include "tracer.h"

namespace spikemesh {

Chip::Chip(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params,
           const Stimulus& stimulus, uint32_t timesteps, uint32_t context)
    : sc_module(name),
      net_(net),
      program_(program),
      params_(params),
      stimulus_(stimulus),
      timesteps_(timesteps),
      noc_("noc", program.geometry, params.router) {
  build(context);
}

namespace {
const Stimulus kNoStimulus;
}

Chip::Chip(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params)
    : sc_module(name),
      net_(net),
      program_(program),
      params_(params),
      stimulus_(kNoStimulus),
      timesteps_(1),
      hosted_(true),
      management_place_(management_place(program.geometry, params.management)),
      noc_("noc", program.geometry, params.router, &management_place_) {
  run_.single_row = true;
  run_.bias_registers = true;
  run_.management = management_place_;
  run_.management_id = program.geometry.cores();
  phase_ = Phase::Writes;  // every timestep starts with the management core's writes and the barrier
  build(0);
  management_ =
      std::make_unique<ManagementCore>("management", net, program, params, run_,
                                       noc_.router(management_place_.x, management_place_.y), management_place_);
  management_->connect_eject_credit(noc_.attach(management_place_, management_.get(), params.core.input_fifo_depth));
  noc_.router(management_place_.x, management_place_.y)
      .connect_input_credit(kPortLocal0 + management_place_.local, management_->output_port());
}

void Chip::host_reset(uint32_t context) { management_->reset(context); }
void Chip::host_set_bias_times(const std::vector<BiasTime>& times) { management_->set_bias_times(times); }
void Chip::host_set_input(uint32_t population, const int32_t* payloads) {
  management_->set_input(population, payloads);
}
void Chip::host_read(uint32_t population) { management_->request_read(population); }
void Chip::host_compute(uint64_t elements) { management_->compute(elements); }
const int32_t* Chip::host_currents(uint32_t population) const { return management_->currents(population); }
uint64_t Chip::hosted_cycle() const { return interval_start_ + management_->pending_compute_cycles(); }

void Chip::build(uint32_t context) {
  run_.context = context;
  run_.payloads.resize(net_.populations.size());
  run_.result = &result_;
  run_.drained = &drained_;
  run_.scheduler = &noc_.scheduler();
  result_.timesteps = timesteps_;
  for (const auto& p : net_.populations) {
    result_.names.push_back(p.name);
    result_.spikes.emplace_back(uint64_t{timesteps_} * p.size(), 0);
    result_.currents.emplace_back(p.kind == NeuronKind::Readout ? uint64_t{timesteps_} * p.size() : 0, 0);
    result_.payloads.emplace_back(p.kind == NeuronKind::Sdnn ? uint64_t{timesteps_} * p.size() : 0, 0);
  }
  for (uint32_t c = 0; c < program_.geometry.cores(); ++c) {
    const std::string n = "core_" + std::to_string(c);
    cores_.push_back(std::make_unique<Neurocore>(n.c_str(), c, net_, program_, params_, run_, noc_.router_of_core(c)));
    eject_credit_.push_back(noc_.attach(c, cores_.back().get(), params_.core.input_fifo_depth));
    cores_.back()->connect_eject_credit(eject_credit_.back());
    const auto place = program_.geometry.place(c);
    noc_.router(place.x, place.y).connect_input_credit(kPortLocal0 + place.local, cores_.back()->output_port());
  }
  barrier_ = barrier_latency_cycles(program_.geometry, params_.router, params_.barrier,
                                    barrier_span(program_, params_.barrier));
  SC_METHOD(control);
}

// A management phase has started at `now`: wait until its messages are served (the VCD's chip.management.phase
// shows 1 for writes, 2 for reads).
void Chip::drain_management(Draining what, uint64_t now) {
  if (tracer_) tracer_->set(sig_phase_, now, what == Draining::Writes ? 1 : 2);
  draining_ = what;
  phase_start_ = now;
  phase_ = Phase::Drain;
}

void Chip::control() {
  const uint64_t now = current_cycle();
  while (hosted_ ? hosted_phase(now) : stimulus_phase(now)) {}
}

// Stimulus mode, one timestep: its inputs, the sweep, the drain of its spikes, the barrier; the run ends at
// the start of timestep `timesteps`.
bool Chip::stimulus_phase(uint64_t now) {
  uint64_t quiet = 0;
  switch (phase_) {
    case Phase::Start:
      if (on_step_) on_step_(t_, now);
      if (t_ == timesteps_) {
        complete_run(now);
        return false;  // nothing is left to happen: sc_start() returns
      }
      for (auto& p : run_.payloads) p.clear();
      for (const auto& rows : stimulus_.inputs)
        if (t_ < rows.timesteps) {
          const uint64_t n = net_.populations[rows.population].size();
          run_.payloads[rows.population].assign(rows.payloads.begin() + t_ * n, rows.payloads.begin() + (t_ + 1) * n);
        }
      start_sweep(now);
      return true;
    case Phase::Drain:
      if (!drain_done(now, quiet)) return false;
      attribute_compute(quiet);
      start_barrier(quiet, now);
      return false;
    case Phase::Barrier:
      phase_ = Phase::Start;
      step_cycles_.push_back(now - step_start_);
      end_attribution(step_cycles_.back());
      if (tracer_) trace_step_end(now);
      ++t_;
      ++t_local_;
      return true;
    case Phase::Writes:  // the management core's phases: hosted mode only
    case Phase::Reads:
    case Phase::Pause:
      break;
  }
  return false;
}

// Hosted mode, one sc_start(): the management core's writes, their drain, the barrier, the sweep, the drain
// of its spikes, the management core's reads, their drain, and the pause that hands control to the host.
bool Chip::hosted_phase(uint64_t now) {
  uint64_t quiet = 0;
  switch (phase_) {
    case Phase::Writes:
      if (management_->reset_pending()) {  // a new network call: its timesteps count from 0 again
        run_.context = management_->context();
        t_local_ = 0;
        ++calls_;
      }
      phases_.writes = now;
      current_ = StepAttribution{};
      if (params_.management.overlap_writes && management_->writes_independent()) {
        overlapped_writes_ = true;  // sent from the sweep's start (Start); the chip is quiet: barrier now
        start_barrier(now, now);
        return false;
      }
      management_->start_writes(now, t_local_);
      current_.management_compute = management_->compute_end_cycle() - interval_start_;
      drain_management(Draining::Writes, now);
      return true;
    case Phase::Barrier:  // the timestep's interval ends at its read phase (Pause)
      phase_ = Phase::Start;
      return true;
    case Phase::Start:
      if (on_step_) on_step_(t_, now);
      if (overlapped_writes_) {  // the double-buffered registers take their values as the timestep begins
        management_->start_writes(now, t_local_, [&](uint32_t c, const Flit& f) { cores_[c]->apply_management(f); });
        overlapped_writes_ = false;
        if (tracer_) tracer_->set(sig_phase_, now, 1);
      }
      start_sweep(now);
      for (auto& p : run_.payloads) p.clear();  // a payload is emitted once; the next ones are written
      return true;
    case Phase::Drain:
      if (!drain_done(now, quiet)) return false;
      if (draining_ == Draining::Writes) {
        current_.management_write = quiet - management_->compute_end_cycle();
        start_barrier(quiet, now);
        return false;
      }
      if (draining_ == Draining::Spikes) attribute_compute(quiet);
      phase_ = draining_ == Draining::Spikes ? Phase::Reads : Phase::Pause;  // after the spikes: reads; then pause
      next_trigger(cycles_to_time(quiet - now));
      return false;
    case Phase::Reads:
      management_->start_reads(now);
      phases_.reads = now;
      drain_management(Draining::Reads, now);
      return true;
    case Phase::Pause:  // the timestep's interval ends; hand control back to the host
      step_cycles_.push_back(now - interval_start_);
      current_.management_read = now - phases_.reads;
      end_attribution(step_cycles_.back());
      interval_start_ = end_cycle_ = phases_.pause = now;
      if (tracer_) tracer_->set(sig_phase_, now, 0);
      if (tracer_) trace_step_end(now);
      ++t_;
      ++t_local_;
      phase_ = Phase::Writes;
      sc_core::sc_pause();
      next_trigger(sc_core::SC_ZERO_TIME);
      return false;
  }
  return false;
}

// Every core starts the timestep's compartment sweep with the payloads set; then its spikes drain. The cores
// count timesteps within the network call (a stimulus run is one call: there t_local_ equals t_).
void Chip::start_sweep(uint64_t now) {
  step_start_ = phase_start_ = phases_.sweep = now;
  if (tracer_) {
    const uint32_t call = calls_ ? calls_ - 1 : 0;
    tracer_->step_begin(t_, hosted_ ? t_local_ : t_, call, now);
    tracer_->set(sig_timestep_, now, hosted_ ? t_local_ : t_);
    if (hosted_) tracer_->set(sig_ddim_, now, call);
  }
  for (auto& c : cores_) c->begin_step(t_local_, now);
  draining_ = Draining::Spikes;
  phase_ = Phase::Drain;
}

// Whether the messages of the current Drain are all received and served; if so `quiet` is the cycle the
// last core (or the management core) finishes, else the watchdog or the next delivery wakes control again.
// After the spikes every core folds the step's synaptic input, before anything reads or resets it.
bool Chip::drain_done(uint64_t now, uint64_t& quiet) {
  if (run_.outstanding > 0) {
    uint64_t progress = std::max(noc_.last_grant_cycle(), phase_start_);
    for (const auto& c : cores_)
      if (c->dendrite_busy_at(now)) progress = now;
    if (management_ && management_->done_cycle() > now) progress = now;
    if (now >= progress + params_.watchdog_cycles) {
      report_deadlock(now);
      return false;
    }
    next_trigger(cycles_to_time(progress + params_.watchdog_cycles - now), drained_);
    return false;
  }
  quiet = now;
  for (const auto& c : cores_) quiet = std::max(quiet, c->done_cycle());
  if (management_) quiet = std::max(quiet, management_->done_cycle());
  if (draining_ == Draining::Spikes)
    for (auto& c : cores_) c->flush();
  return true;
}

// The barrier starts when the chip is quiet and lasts barrier_ cycles.
void Chip::start_barrier(uint64_t quiet, uint64_t now) {
  phase_ = Phase::Barrier;
  phases_.barrier = quiet;
  if (tracer_) {
    tracer_->interval(sig_barrier_, quiet, quiet + barrier_);
    if (hosted_) tracer_->set(sig_phase_, quiet, 0);
  }
  next_trigger(cycles_to_time(quiet - now + barrier_));
}

// The compute part of the timestep, from its sweep's start to the cycle `quiet` the last core finished: gather
// the cores' recorded events and walk back from the bounding core (model/critical_path.h). The management
// phases already set for this timestep stay; with overlap_writes the critical message may be a management write.
void Chip::attribute_compute(uint64_t quiet) {
  ComputeEvents e;
  e.timestep = t_;
  e.start = step_start_;
  e.quiet = quiet;
  e.barrier = barrier_;
  e.done.reserve(cores_.size());
  for (const auto& c : cores_) e.done.push_back(c->done_cycle());
  const Neurocore& core = *cores_[bounding_core(e)];
  e.dendrite_free = core.dendrite_free();
  e.output_free = core.output_free();
  e.dendrite_busy = core.dendrite_busy();
  if (management_) {
    e.management_id = run_.management_id;
    e.management_place = management_place_;
  }
  StepAttribution a =
      spikemesh::attribute_compute(e, program_.geometry, params_.router,
                                   [&](uint32_t c, uint64_t cycle) { return cores_[c]->output_busy_since(cycle); });
  a.management_compute = current_.management_compute;
  a.management_write += current_.management_write;  // before the barrier, and overlapped (a critical write)
  current_ = a;
}

void Chip::end_attribution(uint64_t cycles) {
  check_attribution(current_, t_, cycles);
  attribution_.push_back(current_);
  current_ = StepAttribution{};
}

void Chip::complete_run(uint64_t now) {
  completed_ = true;
  end_cycle_ = now;
  const CoreCounters total = snapshot(*this).core_total();
  result_.synaptic_events = total.synops();
  result_.spike_count = total.spikes;
}

void Chip::attach_tracer(Tracer& tracer) {
  tracer_ = &tracer;
  sig_timestep_ = tracer.declare("chip.timestep", Tracer::Kind::Value, 1);
  sig_barrier_ = tracer.declare("chip.barrier", Tracer::Kind::Wire, 2);
  sig_ddim_ = hosted_ ? tracer.declare("chip.ddim_step", Tracer::Kind::Value, 1) : Tracer::kNone;
  sig_phase_ = hosted_ ? tracer.declare("chip.management.phase", Tracer::Kind::Value, 4) : Tracer::kNone;
  // Bounds per timestep: every output-axon entry of every core sends one message (each compartment spikes
  // at most once per timestep), and the management core sends and receives at most its bound per core;
  // walk each message's XY path to count the flits through every port.
  const MeshGeometry& geo = program_.geometry;
  std::vector<uint64_t> messages_in(cores_.size(), 0);
  std::vector<std::vector<uint64_t>> flits_in(geo.routers(), std::vector<uint64_t>(geo.ports() + 1, 0)),
      flits_out = flits_in;
  auto walk = [&](MeshGeometry::CorePlace src, const MeshGeometry::CorePlace& dst, uint64_t n) {
    uint32_t x = src.x, y = src.y, in = kPortLocal0 + src.local;
    for (;;) {
      const uint32_t r = geo.router_index(x, y);
      const uint32_t o = route_xy(x, y, dst);
      flits_in[r][in] += n;
      flits_out[r][o] += n;
      if (o >= kPortLocal0) break;
      x = o == kPortEast ? x + 1 : o == kPortWest ? x - 1 : x;
      y = o == kPortSouth ? y + 1 : o == kPortNorth ? y - 1 : y;
      in = o == kPortNorth ? kPortSouth : o == kPortSouth ? kPortNorth : o == kPortEast ? kPortWest : kPortEast;
    }
  };
  for (uint32_t c = 0; c < cores_.size(); ++c)
    for (const Destination& d : program_.cores[c].out) {
      ++messages_in[d.core];
      walk(geo.place(c), {d.x, d.y, d.local}, 1);
    }
  if (management_) {
    const std::vector<uint64_t> to = management_->messages_to_cores_bound(),
                                from = management_->messages_from_cores_bound();
    uint64_t all = 0;
    for (uint32_t c = 0; c < cores_.size(); ++c) {
      walk(management_place_, geo.place(c), to[c]);
      walk(geo.place(c), management_place_, from[c]);
      messages_in[c] += to[c];
      all += to[c] + from[c];
    }
    management_->attach_tracer(tracer, all);
  }
  // Probes: the core and compartment holding each (population, index).
  std::vector<std::vector<Neurocore::Probe>> probes(cores_.size());
  const auto& wanted = tracer.selection().probes;
  for (uint32_t k = 0; k < wanted.size(); ++k) {
    const auto [pop, index] = wanted[k];
    const std::string name = net_.populations[pop].name + "_" + std::to_string(index);
    tracer.probe_names().push_back(name);
    for (uint32_t c = 0; c < cores_.size(); ++c)
      for (const CoreSegment& seg : program_.cores[c].segments)
        if (seg.population == pop && index >= seg.first && index < seg.first + seg.count)
          probes[c].push_back({seg.base + static_cast<uint32_t>(index - seg.first), k, name});
  }
  for (uint32_t c = 0; c < cores_.size(); ++c) cores_[c]->attach_tracer(tracer, messages_in[c], probes[c]);
  for (const auto& r : noc_.routers()) {
    const uint32_t i = geo.router_index(r->x(), r->y());
    r->attach_tracer(tracer, flits_in[i], flits_out[i]);
  }
  tracer.check_size();
}

// A traced timestep is over (after its barrier; hosted: at the pause): the chip's counters and raster row,
// then the tracer's timeline.
void Chip::trace_step_end(uint64_t now) {
  timestep_record_.record(*this, tracer_->in_window(), hosted_ ? 0 : t_);
  tracer_->step_end(now);
}

void Chip::report_deadlock(uint64_t now) {
  for (auto& c : cores_) c->flush();
  std::ostringstream os;
  os << "deadlock at cycle " << now << " (timestep " << t_ << "): " << run_.outstanding
     << " message(s) in flight, no flit granted since cycle " << noc_.last_grant_cycle() << " and no core busy ("
     << "chip.watchdog_cycles = " << params_.watchdog_cycles << ")\n";
  os << "stuck routers:\n";
  for (const auto& r : noc_.routers())
    if (r->buffered_flits() > 0) os << "  " << r->describe_state() << "\n";
  os << "stuck cores:\n";
  const auto& geo = program_.geometry;
  for (uint32_t c = 0; c < cores_.size(); ++c) {
    const auto p = geo.place(c);
    const uint64_t queued = noc_.router(p.x, p.y).local_queue(p.local) + cores_[c]->queued_messages();
    CreditCounter& credit = noc_.router(p.x, p.y).output_credit_counter(kPortLocal0 + p.local);
    const bool fifo_full = credit.in_use(now) == credit.capacity();
    if (queued == 0 && !fifo_full) continue;
    os << "  " << cores_[c]->name() << ":";
    if (queued) os << " " << queued << " message(s) waiting to enter the mesh;";
    if (fifo_full) os << " input FIFO full;";
    os << " " << cores_[c]->describe_state(now) << "\n";
  }
  if (management_) os << "  " << management_->describe_state(now) << "\n";
  deadlock_ = os.str();
  end_cycle_ = now;
  sc_core::sc_stop();
}

}  // namespace spikemesh
