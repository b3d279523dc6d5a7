// The compiler: network -> ChipProgram in passes. (1) delay report: the pipeline depth D and per-projection
// delays of delay balancing (delay_balance.h), computed on a copy, the network is never changed here;
// (2) partition and tables: map_network (mapping.h); (3) traffic estimate: measured firing rates (a short
// reference-simulator run with random input) times each compartment's output-axon entries; (4) placement:
// place_min_hops (placement.h) over every core slot of the mesh, then a pure permutation of the program's
// cores (permute_cores, placement.h). The spike raster does not depend on placement, only timing and hop counts do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chip_params.h"
#include "core_work.h"
#include "mapping.h"
#include "network.h"
#include "placement.h"

namespace spikemesh {

struct CompileOptions {
  // Firing rate (spikes per timestep) of every neuron, in global order (population by population). Empty:
  // measured with the reference simulator as chip.mapping.rate_timesteps / rate_seed say (random input);
  // chip.mapping.rates: workload requires them (the FSDDIM loop measures them: ddim_firing_rates).
  std::vector<double> rates;
  std::string rates_source;  // what measured `rates` (mapping.json, report.json), e.g. "workload: 1 image, S = 10"
  // The interleave objective (chip.mapping.objective): population p works in timesteps
  // [window_start[p], window_start[p] + window_length) of a network call (WorkRates::window_start); the FSDDIM
  // loop gives them (its depths and T). Length 0: none.
  std::vector<uint32_t> window_start;
  uint32_t window_length = 0;
};

// What one core holds, and the capacities it is checked against.
struct CoreUsage {
  uint64_t compartments = 0, input_axons = 0, output_axons = 0, synapse_words = 0, synapse_formats = 0;
};
CoreUsage core_usage(const CoreProgram& core);
CoreUsage core_capacity(const ChipParams& chip);

// Per population: the cores it occupies and the resources its neurons use there. Input axons and synapse
// words are those whose synapses reach this population (an axon shared by two populations on one core
// counts for both, so the column can sum to more than the cores' totals); output axons are its
// compartments' routing entries.
struct PopulationUsage {
  std::vector<uint32_t> cores;
  CoreUsage use;
};
std::vector<PopulationUsage> population_usage(const Network& net, const ChipProgram& program);

// Spike traffic of one placement: messages per timestep, hops over router links.
struct TrafficTotals {
  double messages = 0.0;         // messages per timestep (one per output-axon entry of a spiking compartment)
  double flit_hops = 0.0;        // sum of messages x router-to-router links on the XY path
  double flit_hop_cycles = 0.0;  // the same, east-west hops weighted hop_ew_cycles, north-south hop_ns_cycles
};

// A population's share of the estimated work (core_work.h): the cores holding any of its neurons, and
// the estimated cycles per timestep of those cores (each core's sum over all its segments).
struct PopulationWork {
  uint32_t cores = 0;
  double max_core_cycles = 0.0, mean_core_cycles = 0.0;
};
std::vector<PopulationWork> population_work(const Network& net, const ChipProgram& program,
                                            const std::vector<CoreWork>& work);

struct CompileReport {
  std::string placement;  // "mesh_order" or "min_hops"
  std::string objective;  // "fit", "balance" or "interleave" (chip.mapping.objective)
  // Delay balancing (informational; the chip runs the delays the network file holds).
  bool depth_known = false;  // false when the network cannot be balanced (depth_note says why)
  std::string depth_note;
  uint32_t depth = 0;                      // D, timesteps from input to the deepest readout
  bool balanced = false;                   // the network's delays already equal the balanced ones
  std::vector<uint32_t> projection_delay;  // balanced delay per projection
  uint32_t cores_used = 0;
  std::vector<uint32_t> slot_of_core;   // logical core (map_network's order) -> core slot on the mesh
  std::vector<double> rates;            // per neuron, the rates that weighed the traffic
  uint32_t rate_timesteps = 0;          // reference steps measured (0 when rates were given)
  std::string rates_source;             // what drove them (random input, or CompileOptions::rates_source)
  TrafficTotals mesh_order, optimised;  // traffic of plain mesh order and of the chosen placement
  // Estimated work per timestep (core_work.h) from the same rates: per core slot of the final program, and
  // per population for the fit partition and for the chosen one (the same when the objective is fit).
  std::vector<CoreWork> core_work;
  uint32_t fit_cores_used = 0;
  double fit_longest_cycles = 0.0, longest_cycles = 0.0;  // the longest core of each
  std::vector<PopulationWork> fit_population_work, population_work;
  BalanceSearch balance;  // the cap search (objective balance; zeros otherwise)
};

struct CompiledNetwork {
  ChipProgram program;
  CompileReport report;
};

// Throws MappingError (mapping.h) when the network does not fit and Error naming chip.mapping.placement for
// an unknown placement. Deterministic: same network and params, same program.
CompiledNetwork compile_network(const Network& net, const ChipParams& chip, const CompileOptions& options = {});

// Mean spikes per timestep of every neuron over `timesteps` reference steps that follow `warmup` steps,
// driven by make_random_stimulus(net, ..., seed) in bias context 0.
std::vector<double> measure_firing_rates(const Network& net, uint32_t warmup, uint32_t timesteps, uint64_t seed);

// Messages per timestep between logical cores: rate of each compartment x its output-axon entries.
std::vector<TrafficEdge> estimate_traffic(const Network& net, const ChipProgram& program,
                                          const std::vector<double>& rates);
TrafficTotals traffic_totals(const std::vector<TrafficEdge>& traffic, const ChipProgram& program,
                             const ChipParams& chip);

// The smallest mesh on which the network fits: routers_x / routers_y grown from the configured values
// (chips fixed) up to `max_routers` each, then chips_x / chips_y grown (routers as configured) up to
// `max_chips` each; among the candidates of a stage the fewest cores wins (then the squarer, then the
// smaller x). `found` is false when the failure is a per-core limit (no mesh helps) or no candidate
// within the bounds has enough cores; `why` then says which.
struct ShapeSearch {
  bool found = false;
  MeshParams mesh;
  std::string why;
  std::string describe() const;  // "1x1 chips of 8x8 routers, 4 cores each (256 cores)" or why
};
ShapeSearch smallest_fitting_shape(const Network& net, const ChipParams& chip, uint32_t max_routers = 64,
                                   uint32_t max_chips = 16);

}  // namespace spikemesh
