// Energy priced from the chip's integer counters at report time (hw/ only counts): pJ per event and static
// mW per core and router from an EnergyTable (config.h); power-gated cores (ChipCounters::core_gated) draw
// no static power. Because counters are saved in report.json, a new table can be applied to an old run.
// Breakdown by component kind (core, router), by event, per core and per router; the total is computed
// from chip-wide event totals and must equal the sum of the parts.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "chip_snapshot.h"
#include "config.h"

namespace spikemesh {

// Every counter of a finished run (or of an interval of one), named by hierarchy (chip.core_3,
// chip.noc.router_1_0), with the run's timing.
struct ChipCounters : ChipSnapshot {
  std::vector<std::string> core_names;
  std::vector<std::string> router_names;
  std::vector<uint64_t> step_cycles;
  std::vector<bool> core_gated;   // per core: power-gated, no static power (ChipParams::power_gating); empty: none
  uint32_t input_fifo_depth = 0;  // entries of each core's input FIFO (core.input_fifo_depth); 0: not known
  std::vector<StepAttribution> step_attribution;  // per timestep, as step_cycles (model/critical_path.h)
  std::vector<std::string> core_populations;      // per core: its populations ('+'-joined)
  uint64_t cycles = 0;
  double clock_mhz = 0;
  double seconds() const { return double(cycles) / (clock_mhz * 1e6); }
};

struct EnergyReport {
  double total_j = 0, dynamic_j = 0, static_j = 0;
  // Dynamic energy per event, e.g. {"core.synop_sparse", 1.2e-6}, in a fixed order; then the static parts.
  std::vector<std::pair<std::string, double>> core_events, router_events;
  double core_dynamic_j = 0, core_static_j = 0, router_dynamic_j = 0, router_static_j = 0;
  double core_input_fifo_static_j = 0;           // the part of core_static_j drawn by input-FIFO entries beyond
                                                 // the table's input_fifo_depth_in_core_static
  double management_j = 0;                       // the management core's busy cycles (0 when unpriced)
  std::vector<double> per_core_j, per_router_j;  // dynamic + static of each component
  std::vector<std::string> unpriced;             // events that happened but have no price in the table
};

EnergyReport price_energy(const ChipCounters& c, const EnergyTable& t);

// A report.json's counters (per core, per router, the management core's), its cycles and clock, and its
// power gating (chip.power_gating, chip.cores_powered, mapping.per_core): what price_energy needs to
// re-price an old run with another table (`spikemesh price`). Throws Error naming the file and key. A
// report without chip.power_gating (older) is priced with every core powered and `note` says so.
// Defined in config.cpp, the one yaml-cpp user.
ChipCounters load_report_counters(const std::string& path, std::string* note = nullptr);

}  // namespace spikemesh
