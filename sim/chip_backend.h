// The chip as a timestep backend of the FSDDIM loop (model/ddim_sampler.h): one SystemC elaboration in
// hosted mode (hw/chip.h), one timestep per step(); what the loop sets and reads goes through the
// management core (hw/management_core.h) as mesh messages, and each DDIM update is its compute.
// Records, per timestep, its cycles and the chip's counters so that reports can price any interval (an image, a DDIM
// step, a timestep). A process can elaborate one chip only.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "chip_params.h"
#include "ddim_sampler.h"
#include "energy.h"
#include "mapping.h"
#include "network.h"

namespace spikemesh {

class Chip;
class Tracer;

// Chip-wide event totals at one moment (sums over cores and routers), for per-interval reports.
struct ChipTotals {
  uint64_t cycle = 0;
  CoreCounters core;
  RouterCounters router;
  ManagementCounters management;
};

class ChipBackend : public TimestepBackend {
 public:
  // `net`, `program` and `params` must outlive the backend.
  ChipBackend(const Network& net, const ChipProgram& program, const ChipParams& params);
  ~ChipBackend() override;

  void reset() override { reset_pending_ = true; }
  void set_context(uint32_t context) override { context_ = context; }
  void set_bias_times(const std::vector<BiasTime>& times) override;
  void set_input(uint32_t population, const int32_t* payloads) override;
  void step() override;  // throws Error with the deadlock report if the watchdog stops the chip
  void request_currents(uint32_t population) override;
  const int32_t* currents(uint32_t population) const override;  // as the read responses carried them
  void account_update(uint64_t elements) override;

  ChipTotals totals() const;      // now
  ChipCounters counters() const;  // every counter, per core and router, now
  uint64_t cycle() const;
  const std::vector<uint64_t>& step_cycles() const;     // per timestep so far
  const uint8_t* spikes(uint32_t population) const;     // of the last step
  void attach_tracer(Tracer& tracer);                   // before the first step (hw/tracer.h)
  const ChipTimestepRecorder& timestep_record() const;  // while traced (hw/chip_snapshot.h)
  uint64_t barrier_cycles() const;                      // the chip's barrier, per timestep

 private:
  const Network& net_;
  const ChipParams& params_;
  std::unique_ptr<Chip> chip_;
  bool reset_pending_ = false;
  uint32_t context_ = 0;
  bool static_bias_checked_ = false;  // set_bias_times: no population has a static bias (checked once)
};

// Component-wise difference of two chip snapshots (peaks: the later value).
ChipCounters counters_between(const ChipCounters& before, const ChipCounters& after);

}  // namespace spikemesh
