// Chip top: the mesh (Noc), one Neurocore per core slot, the timestep controller with the barrier, and in
// hosted mode the management core (hw/management_core.h) on its own local port of a router.
// Timestep contract: step t starts at cycle t0 with every core's compartment sweep; it is over when every
// core has finished (sweep, output stage, dendrite unit) and the mesh is empty; then the barrier takes
// barrier_latency_cycles (a wavefront out to the farthest router, or the farthest in use with
// barrier.used_routers_only, and back; model/routing.h, model/mapping.h barrier_span) and step t + 1 starts.
// A run with flits in the mesh, no flit granted and no core busy for watchdog_cycles stops with a deadlock
// report naming the routers holding flits and the cores waiting on them.
// Hosted mode (the FSDDIM loop): after a timestep's spikes have drained, the management core's read phase
// (read requests, read responses over the mesh), a pause for the host's loop, then its write phase (the
// DDIM update's compute, resets, bias writes, input payload writes over the mesh); the barrier follows
// the write phase and starts the next timestep. Each phase is over when its messages are all received and
// served, as a timestep's spikes are. With chip.management.overlap_writes, a write phase that depends on
// nothing the last timestep computed (ManagementCore::writes_independent) is sent from the sweep's start
// instead, while the timestep computes (hw/management_core.h), and the timestep is over when its spikes
// and those writes are all served.
// Left out: the barrier starts at global quiescence (the real wavefront trails each core as it finishes);
// in stimulus mode, host I/O timing (inputs are written into input compartments before a step, outputs
// read after it); in hosted mode, how the loop's host program reaches the management core (it is loaded
// once; only its work per timestep is timed).
#pragma once

#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chip_params.h"
#include "chip_snapshot.h"
#include "critical_path.h"
#include "management_core.h"
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

  // Hosted mode: the FSDDIM loop drives the chip one timestep per sc_start() through the management core.
  // An sc_start() runs the management core's write phase (what the host asked for since the last call),
  // the barrier, the timestep, and its read phase, then pauses (sc_pause). Between calls the host asks for
  // the next writes: the input payloads of the next step, a reset of every compartment and delay slot with
  // a new bias context (a new network call: the next DDIM step, whose timesteps count from 0 again), the
  // reads of the next step's readout currents, and the compute of a DDIM update (elements). Only the last
  // step's spikes are kept; host_currents() are the values the read responses carried.
  Chip(sc_core::sc_module_name name, const Network& net, const ChipProgram& program, const ChipParams& params);
  void host_reset(uint32_t context);
  // Pipelined calls (model/ddim_sampler.h sample_pipelined): per population, the call whose bias it takes
  // at the next timestep. The network's periodic resets separate the calls' windows; the chip is reset once.
  void host_set_bias_times(const std::vector<BiasTime>& times);
  void host_set_input(uint32_t population, const int32_t* payloads);
  void host_read(uint32_t population);
  void host_compute(uint64_t elements);
  const int32_t* host_currents(uint32_t population) const;
  // Hosted: the cycle the last sc_start() paused at, plus a compute the host asked for that no timestep
  // has waited for yet (the final DDIM update of an image).
  uint64_t hosted_cycle() const;
  const ManagementCore* management() const { return management_.get(); }
  // Hosted: the cycles at which the last sc_start()'s phases began: the management core's write phase, the
  // barrier, the timestep's sweep, the read phase, and the pause that ends it.
  struct HostedPhases {
    uint64_t writes = 0, barrier = 0, sweep = 0, reads = 0, pause = 0;
  };
  const HostedPhases& hosted_phases() const { return phases_; }
  uint32_t local_timestep() const { return t_local_; }
  uint32_t timesteps_done() const { return t_; }

  bool completed() const { return completed_; }
  bool deadlocked() const { return !deadlock_.empty(); }
  const std::string& deadlock_report() const { return deadlock_; }
  const SimResult& result() const { return result_; }
  const std::vector<uint64_t>& step_cycles() const { return step_cycles_; }
  // Per completed timestep, what ended it and its cycles by phase (model/critical_path.h); each adds up to
  // the step_cycles() entry of the same timestep.
  const std::vector<StepAttribution>& step_attribution() const { return attribution_; }
  uint64_t end_cycle() const { return end_cycle_; }
  uint64_t barrier_cycles() const { return barrier_; }
  const ChipProgram& program() const { return program_; }
  Noc& noc() { return noc_; }
  const Noc& noc_const() const { return noc_; }
  bool hosted() const { return hosted_; }
  // Waveform and per-timestep tracing (hw/tracer.h), before sc_start: declares chip.timestep, chip.barrier
  // (and in hosted mode chip.ddim_step, chip.management.*) and every core's and router's signals with
  // their per-timestep bounds, resolves the probes, then checks the VCD size bound (throws above the cap).
  void attach_tracer(Tracer& tracer);
  // While traced: every counter after each timestep, and the window's spike raster (trace.h5).
  const ChipTimestepRecorder& timestep_record() const { return timestep_record_; }
  const Neurocore& core(uint32_t i) const { return *cores_[i]; }
  const Network& network() const { return net_; }
  uint32_t core_count() const { return static_cast<uint32_t>(cores_.size()); }
  // Called at the start of every timestep (and once more at the end, with t = timesteps): progress
  // reports and benchmarks that time a window of steps.
  void on_step(std::function<void(uint32_t t, uint64_t cycle)> fn) { on_step_ = std::move(fn); }
  // --state-out: the cores copy u and v of the record's populations into it after its timesteps' updates.
  void record_state(StateRecord& record) { run_.state = &record; }

 private:
  enum class Phase { Start, Drain, Barrier, Reads, Pause, Writes };
  enum class Draining { Spikes, Reads, Writes };  // what a Drain phase waits for
  void drain_management(Draining what, uint64_t now);
  void build(uint32_t context);
  // The timestep controller: runs the mode's phases until one waits. Each mode is one function that
  // steps through its phases (true: the next phase starts in this cycle too); the steps they share follow.
  void control();
  bool stimulus_phase(uint64_t now);
  bool hosted_phase(uint64_t now);
  void start_sweep(uint64_t now);
  bool drain_done(uint64_t now, uint64_t& quiet);
  void start_barrier(uint64_t quiet, uint64_t now);
  void complete_run(uint64_t now);
  void attribute_compute(uint64_t quiet);  // the sweep-to-quiet part of the timestep's attribution
  void end_attribution(uint64_t cycles);   // the timestep is over: keep its attribution
  void report_deadlock(uint64_t now);
  void trace_step_end(uint64_t now);

  const Network& net_;
  const ChipProgram& program_;
  const ChipParams& params_;
  const Stimulus& stimulus_;
  uint32_t timesteps_;
  bool hosted_ = false;
  MeshGeometry::CorePlace management_place_{0, 0, 0};
  Noc noc_;
  RunState run_;
  sc_core::sc_event drained_;
  std::vector<std::unique_ptr<Neurocore>> cores_;
  std::vector<CreditReturn*> eject_credit_;
  std::unique_ptr<ManagementCore> management_;  // hosted mode only
  SimResult result_;
  uint64_t barrier_ = 0;
  Phase phase_ = Phase::Start;
  Draining draining_ = Draining::Spikes;
  uint32_t t_ = 0;
  uint64_t step_start_ = 0, end_cycle_ = 0;
  uint64_t phase_start_ = 0;     // the current Drain's work started here (watchdog)
  uint64_t interval_start_ = 0;  // hosted: the last pause (a timestep's interval starts there)
  std::vector<uint64_t> step_cycles_;
  StepAttribution current_;  // the timestep in progress
  std::vector<StepAttribution> attribution_;
  bool completed_ = false;
  uint32_t t_local_ = 0;  // timestep within the current network call
  std::string deadlock_;
  std::function<void(uint32_t, uint64_t)> on_step_;
  Tracer* tracer_ = nullptr;              // null when tracing is off
  ChipTimestepRecorder timestep_record_;  // filled while traced
  uint32_t sig_timestep_ = 0, sig_barrier_ = 0, sig_ddim_ = 0;
  uint32_t sig_phase_ = 0;  // chip.management.phase: 0 none, 1 writes, 2 reads
  HostedPhases phases_;
  uint32_t calls_ = 0;              // hosted: network calls started (host_reset), the DDIM steps
  bool overlapped_writes_ = false;  // hosted, overlap_writes: this timestep's writes go from its sweep's start
};

}  // namespace spikemesh
