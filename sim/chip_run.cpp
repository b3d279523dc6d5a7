// One cycle-accurate run of the chip; see chip_run.h.
#include "chip_run.h"

#include <systemc>

#include <cstdlib>
#include <memory>
#include <utility>

#include "chip.h"
#include "compiler.h"
#include "tracer.h"

namespace spikemesh {

ChipCounters collect_counters(const Chip& chip, const ChipParams& params) {
  ChipCounters c;
  static_cast<ChipSnapshot&>(c) = snapshot(chip);
  ChipComponentNames names = component_names(chip);
  c.core_names = std::move(names.cores);
  c.router_names = std::move(names.routers);
  c.core_populations = std::move(names.core_populations);
  c.step_cycles = chip.step_cycles();
  c.step_attribution = chip.step_attribution();
  c.cycles = chip.end_cycle();
  c.clock_mhz = params.clock_mhz;
  c.input_fifo_depth = params.core.input_fifo_depth;
  if (params.power_gating)
    for (uint32_t k = 0; k < chip.core_count(); ++k) c.core_gated.push_back(!core_in_use(chip.program(), k));
  return c;
}

ChipRunOutput run_chip(const Network& net, const ChipParams& params, const Stimulus& stim, uint32_t timesteps,
                       uint32_t context, const std::function<void(uint32_t, uint64_t)>& progress, Tracer* tracer,
                       StateRecord* state) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  // sc_stop() after a deadlock reports "Simulation stopped by user" as an info message: not news here.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  ChipRunOutput out;
  out.program = compile_network(net, params).program;
  auto chip = std::make_unique<Chip>("chip", net, out.program, params, stim, timesteps, context);
  if (progress) chip->on_step(progress);
  if (tracer) chip->attach_tracer(*tracer);
  if (state) chip->record_state(*state);
  sc_core::sc_start();
  out.completed = chip->completed();
  out.deadlock = chip->deadlock_report();
  out.result = chip->result();
  out.barrier_cycles = chip->barrier_cycles();
  out.counters = collect_counters(*chip, params);
  if (tracer) out.timestep_record = chip->timestep_record();
  return out;
}

void check_chip_trace(const Network& net, const ChipParams& params, const ChipProgram& program, const Stimulus& stim,
                      uint32_t timesteps, uint32_t context, Tracer& tracer) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  Chip chip("chip", net, program, params, stim, timesteps, context);
  chip.attach_tracer(tracer);
}

}  // namespace spikemesh
