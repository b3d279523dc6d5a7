// The chip as a timestep backend; see chip_backend.h.
#include "chip_backend.h"

#include <systemc>

#include <cstdlib>

#include "chip.h"
#include "chip_run.h"
#include "chip_snapshot.h"
#include "error.h"

namespace spikemesh {

ChipBackend::ChipBackend(const Network& net, const ChipProgram& program, const ChipParams& params)
    : net_(net), params_(params) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  chip_ = std::make_unique<Chip>("chip", net, program, params);
}

ChipBackend::~ChipBackend() = default;

void ChipBackend::set_bias_times(const std::vector<BiasTime>& times) {
  if (!times.empty() && times.size() != net_.populations.size())
    throw Error("chip: set_bias_times: expected one entry per population (" + std::to_string(net_.populations.size()) +
                "), got " + std::to_string(times.size()));
  // A population without a bias table takes its static bias from the cores' one context, not per call.
  for (size_t p = 0; p < times.size() && !static_bias_checked_; ++p) {
    const Population& pop = net_.populations[p];
    if (pop.has_bias_table() || pop.kind == NeuronKind::Input) continue;
    for (const CompartmentParams& q : pop.params)
      if (q.bias_mant != 0)
        throw Error("chip: population '" + pop.name +
                    "' has a static bias: pipelined calls need it as a bias table (model/ddim_sampler.h "
                    "enable_pipelining)");
  }
  static_bias_checked_ = !times.empty();
  chip_->host_set_bias_times(times);
}

void ChipBackend::set_input(uint32_t population, const int32_t* payloads) {
  chip_->host_set_input(population, payloads);
}

void ChipBackend::step() {
  if (reset_pending_) {
    chip_->host_reset(context_);
    reset_pending_ = false;
  }
  const uint32_t before = chip_->timesteps_done();
  sc_core::sc_start();
  if (chip_->deadlocked()) throw Error("chip: " + chip_->deadlock_report());
  if (chip_->timesteps_done() != before + 1) throw Error("chip: internal: the hosted chip did not finish one timestep");
}

void ChipBackend::request_currents(uint32_t population) { chip_->host_read(population); }
const int32_t* ChipBackend::currents(uint32_t population) const { return chip_->host_currents(population); }
const uint8_t* ChipBackend::spikes(uint32_t population) const { return chip_->result().spikes[population].data(); }

void ChipBackend::attach_tracer(Tracer& tracer) { chip_->attach_tracer(tracer); }
const ChipTimestepRecorder& ChipBackend::timestep_record() const { return chip_->timestep_record(); }

void ChipBackend::account_update(uint64_t elements) { chip_->host_compute(elements); }  // the next writes wait for it

// Every update included, also a last one that no timestep has waited for yet.
uint64_t ChipBackend::cycle() const { return chip_->hosted_cycle(); }

const std::vector<uint64_t>& ChipBackend::step_cycles() const { return chip_->step_cycles(); }

ChipCounters ChipBackend::counters() const {
  ChipCounters c = collect_counters(*chip_, params_);
  c.cycles = cycle();
  return c;
}

uint64_t ChipBackend::barrier_cycles() const { return chip_->barrier_cycles(); }

ChipTotals ChipBackend::totals() const {
  ChipTotals t;
  t.cycle = cycle();
  const ChipSnapshot s = snapshot(*chip_);
  t.core = s.core_total();
  t.router = s.router_total();
  t.management = s.management;
  return t;
}

ChipCounters counters_between(const ChipCounters& before, const ChipCounters& after) {
  ChipCounters d = after;
  d.ChipSnapshot::operator-=(before);
  d.step_cycles.assign(after.step_cycles.begin() + static_cast<std::ptrdiff_t>(before.step_cycles.size()),
                       after.step_cycles.end());
  d.step_attribution.assign(
      after.step_attribution.begin() + static_cast<std::ptrdiff_t>(before.step_attribution.size()),
      after.step_attribution.end());
  d.cycles = after.cycles - before.cycles;
  return d;
}

}  // namespace spikemesh
