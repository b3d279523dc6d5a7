// Chip top: the mesh (Noc), one Neurocore per core slot, and the timestep controller with the barrier.
// Timestep contract: step t starts at cycle t0 with every core's compartment sweep; it is over when every
// core has finished (sweep, output stage, dendrite unit) and the mesh is empty; then the barrier takes
// barrier_latency_cycles (a wavefront out to the farthest router and back, model/routing.h) and step
// t + 1 starts. A run with flits in the mesh, no flit granted and no core busy for watchdog_cycles stops
// with a deadlock report naming the routers holding flits and the cores waiting on them.
// Left out: the barrier starts at global quiescence (the real wavefront trails each core as it finishes),
// host I/O timing (inputs are written into input compartments before a step, outputs read after it).
#pragma once

#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chip_params.h"
#include "mapping.h"
#include "network.h"
#include "neurocore.h"
#include "noc.h"
#include "reference_sim.h"

namespace spikemesh {

class Tracer;

class Chip : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Chip);
  // `net`, `program`, `params` and `stimulus` must outlive the chip.
  Chip(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params,
       const Stimulus& stimulus, uint32_t timesteps, uint32_t context = 0);

  // Hosted mode: the FSDDIM loop's management core drives the chip one timestep per sc_start(). The chip
  // pauses (sc_pause) after each timestep's barrier; between calls the host writes the input payloads of
  // the next step, may reset every compartment and delay slot and select a new bias context (a new
  // network call: the next DDIM step, whose timesteps count from 0 again), and may keep the chip waiting
  // while the management core computes (host_delay). Only the last step's spikes and currents are kept.
  // Left out: the management core's reads and writes do not travel the mesh (they are host I/O between
  // timesteps, as in the stimulus mode); its compute time is the only cost it adds.
  Chip(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params);
  void host_reset(uint32_t context);
  void host_set_input(uint32_t population, const int32_t* payloads);
  void host_delay(uint64_t cycles);
  uint64_t host_delay_cycles() const { return host_delay_total_; }
  uint32_t local_timestep() const { return t_local_; }
  uint32_t timesteps_done() const { return t_; }

  bool completed() const { return completed_; }
  bool deadlocked() const { return !deadlock_.empty(); }
  const std::string& deadlock_report() const { return deadlock_; }
  const SimResult& result() const { return result_; }
  const std::vector<uint64_t>& step_cycles() const { return step_cycles_; }
  uint64_t end_cycle() const { return end_cycle_; }
  uint64_t barrier_cycles() const { return barrier_; }
  Noc& noc() { return noc_; }
  const Noc& noc_const() const { return noc_; }
  bool hosted() const { return hosted_; }
  // Waveform and per-timestep tracing (hw/tracer.h), before sc_start: declares chip.timestep, chip.barrier
  // (and in hosted mode chip.ddim_step, chip.management.busy) and every core's and router's signals with
  // their per-timestep bounds, resolves the probes, then checks the VCD size bound (throws above the cap).
  void attach_tracer(Tracer& tracer);
  const Neurocore& core(uint32_t i) const { return *cores_[i]; }
  uint32_t core_count() const { return static_cast<uint32_t>(cores_.size()); }
  // Called at the start of every timestep (and once more at the end, with t = timesteps): progress
  // reports and benchmarks that time a window of steps.
  void on_step(std::function<void(uint32_t t, uint64_t cycle)> fn) { on_step_ = std::move(fn); }

 private:
  enum class Phase { Start, Drain, Barrier };
  void build(uint32_t context);
  void control();
  void report_deadlock(uint64_t now);

  const Network& net_;
  const ChipProgram& program_;
  const ChipParams& params_;
  const Stimulus& stimulus_;
  uint32_t timesteps_;
  Noc noc_;
  RunState run_;
  sc_core::sc_event drained_;
  std::vector<std::unique_ptr<Neurocore>> cores_;
  std::vector<CreditReturn*> eject_credit_;
  SimResult result_;
  uint64_t barrier_ = 0;
  Phase phase_ = Phase::Start;
  uint32_t t_ = 0;
  uint64_t step_start_ = 0, end_cycle_ = 0;
  std::vector<uint64_t> step_cycles_;
  bool completed_ = false;
  bool hosted_ = false;
  bool reset_pending_ = false;
  uint32_t reset_context_ = 0;
  uint32_t t_local_ = 0;                         // timestep within the current network call
  uint64_t host_delay_pending_ = 0, host_delay_total_ = 0;
  std::string deadlock_;
  std::function<void(uint32_t, uint64_t)> on_step_;
  Tracer* tracer_ = nullptr;                     // null when tracing is off
  uint32_t sig_timestep_ = 0, sig_barrier_ = 0, sig_ddim_ = 0, sig_management_ = 0;
  uint32_t calls_ = 0;                           // hosted: network calls started (host_reset), the DDIM steps
  uint64_t management_from_ = 0, management_until_ = 0;   // hosted: the last management-core interval
};

}  // namespace spikemesh
