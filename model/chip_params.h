// Parameters of the chip, one plain struct per component, each with ONE field list (describe()) that
// drives YAML loading and validation, dumping the effective config and --help (sim/config.*).
// Every latency is in cycles of a notional clock (clock_mhz); its origin is in the field description and
// in docs/architecture.md. Defaults: Loihi 1 (Davies et al. 2018 Table 2 at 0.75 V; SANA-FE's silicon-fitted
// costs where Table 2 has no number; docs/sources.md#timing) at a 2 GHz notional clock, so that a
// 0.5 ns grid holds the published latencies within a quarter nanosecond.
#pragma once

#include <cstdint>
#include <string>

namespace spikemesh {

// How a field list reads: v.field(key, member, min, max, description); v.section(key, fn) for a nested
// struct. A visitor implements both (templates: no virtual calls, no YAML types here).

struct MeshParams {
  uint32_t chips_x = 1, chips_y = 1;      // chips tiled into one mesh
  uint32_t routers_x = 8, routers_y = 4;  // routers (tiles) per chip: Loihi 1, 8 x 4 (SANA-FE, docs/sources.md#chip)
  uint32_t cores_per_router = 4;          // Loihi: 4 neurocores per tile

  template <class V>
  void describe(V& v) {
    v.field("chips_x", chips_x, 1, 64, "chips along x, tiled into one mesh");
    v.field("chips_y", chips_y, 1, 64, "chips along y");
    v.field("routers_x", routers_x, 1, 64, "routers per chip along x (Loihi 1: 8, SANA-FE arch/loihi.yaml)");
    v.field("routers_y", routers_y, 1, 64, "routers per chip along y (Loihi 1: 4)");
    v.field("cores_per_router", cores_per_router, 1, 16, "neurocores per router (Loihi: 4 per tile)");
  }
  uint32_t cores() const { return chips_x * chips_y * routers_x * routers_y * cores_per_router; }
};

struct CoreParams {
  // ---- capacities (docs/sources.md#core, docs/sources.md#loihi2) ----
  uint32_t compartments = 1024;      // Loihi 1: 1024 (Loihi 2: 8192)
  uint32_t input_axons = 4096;       // Naxin
  uint32_t output_axons = 4096;      // Naxout
  uint32_t synapse_words = 16384;    // 64-bit words: 128 KB
  bool graded_spikes = false;        // Loihi 2: integer payloads on spikes
  bool shared_conv_kernels = false;  // Loihi 2 / population axons: one kernel per core
  bool shared_output_axons = false;  // channels of one pixel share their output axons (atom per compartment)
  uint32_t input_fifo_depth = 16;    // spike messages waiting for the dendrite unit
  // ---- timing, cycles ----
  uint32_t update_active_cycles = 17;    // Davies 2018 Table 2: 8.4 ns per active neuron update
  uint32_t update_inactive_cycles = 11;  // Davies 2018 Table 2: 5.3 ns per inactive neuron update
  uint32_t synop_cycles = 7;             // Davies 2018 Table 2: 3.5 ns per synaptic op (max)
  uint32_t axon_in_cycles = 32;          // SANA-FE: axon_in message 16.0 ns
  uint32_t axon_out_cycles = 10;         // SANA-FE: axon_out message 5.1 ns
  uint32_t spike_out_cycles = 0;         // per fired compartment, in the sweep (SANA-FE: spike out 30 ns)
  bool sweep_waits_for_output = false;   // a spike's messages are generated before the next update (SANA-FE)
  bool updated_by_potential = false;     // "updated" = v, bias or input non-zero (SANA-FE); else state rule

  template <class V>
  void describe(V& v) {
    v.field("compartments", compartments, 1, 1u << 16, "compartments per core (Loihi 1: 1024; Loihi 2: 8192)");
    v.field("input_axons", input_axons, 1, 1u << 24, "input axons per core (Loihi 1: 4096)");
    v.field("output_axons", output_axons, 1, 1u << 24,
            "output axons (core-to-core fan-out entries) per core (Loihi 1: 4096)");
    v.field("synapse_words", synapse_words, 1, 1u << 28, "synaptic memory in 64-bit words (Loihi 1: 16384 = 128 KB)");
    v.field("graded_spikes", graded_spikes, "spikes carry integer payloads (Loihi 2); off: binary spikes only");
    v.field("shared_conv_kernels", shared_conv_kernels,
            "conv projections keep one kernel per core, addressed by axon and atom");
    v.field("shared_output_axons", shared_output_axons,
            "compartments whose destinations differ only in the atom (the channels of one pixel, sending only "
            "to population axons) share one range of output axons, each compartment's map entry holding its "
            "atom (nengo-loihi counts a population axon once, not per compartment); needs shared_conv_kernels");
    v.field("input_fifo_depth", input_fifo_depth, 1, 1u << 20,
            "spike messages the core's input FIFO holds (assumed = link buffer, SANA-FE 16)");
    v.field("update_active_cycles", update_active_cycles, 1, 1u << 20,
            "cycles per active compartment update (Davies 2018: 8.4 ns)");
    v.field("update_inactive_cycles", update_inactive_cycles, 1, 1u << 20,
            "cycles per inactive compartment update (Davies 2018: 5.3 ns)");
    v.field("synop_cycles", synop_cycles, 1, 1u << 20, "cycles per synaptic operation (Davies 2018: 3.5 ns)");
    v.field("axon_in_cycles", axon_in_cycles, 0, 1u << 20, "cycles of input-axon lookup per message (SANA-FE: 16 ns)");
    v.field("axon_out_cycles", axon_out_cycles, 1, 1u << 20,
            "cycles per output message (output-axon lookup, SANA-FE: 5.1 ns)");
    v.field("spike_out_cycles", spike_out_cycles, 0, 1u << 20,
            "cycles the sweep spends on each compartment that fires, after its update (soma spike out; "
            "SANA-FE: 30 ns; Davies 2018 Table 2 has no such figure: 0)");
    v.field("sweep_waits_for_output", sweep_waits_for_output,
            "the sweep waits while the output stage generates a fired compartment's messages (axon_out_cycles "
            "each) before it updates the next compartment (SANA-FE: one serial chain per core); off: the output "
            "stage works through its queue in parallel with the sweep");
    v.field("updated_by_potential", updated_by_potential,
            "a compartment update counts as active (priced and timed as update_active) when its potential v, "
            "its bias or its input is non-zero (SANA-FE's 'updated' neuron); off: unless u, v, the refractory "
            "count, the input and the bias are all zero");
  }
};

struct RouterParams {
  uint32_t input_buffer_flits = 16;  // per mesh input port: SANA-FE link buffer size 16
  uint32_t hop_ew_cycles = 8;        // Davies 2018 Table 2: 4.1 ns per east-west tile hop
  uint32_t hop_ns_cycles = 13;       // Davies 2018 Table 2: 6.5 ns per north-south tile hop
  uint32_t inject_cycles = 2;        // core -> router; with eject: Davies 2018 within-tile 2.1 ns
  uint32_t eject_cycles = 2;         // router -> core
  uint32_t chip_link_cycles = 200;   // chip-to-chip link: no public figure (see docs/architecture.md)

  template <class V>
  void describe(V& v) {
    v.field("input_buffer_flits", input_buffer_flits, 1, 1u << 20,
            "flits per mesh input buffer (SANA-FE link buffer 16)");
    v.field("hop_ew_cycles", hop_ew_cycles, 1, 1u << 20, "router + link latency east-west (Davies 2018: 4.1 ns)");
    v.field("hop_ns_cycles", hop_ns_cycles, 1, 1u << 20, "router + link latency north-south (Davies 2018: 6.5 ns)");
    v.field("inject_cycles", inject_cycles, 1, 1u << 20,
            "core to router (half of Davies 2018's 2.1 ns within-tile latency)");
    v.field("eject_cycles", eject_cycles, 1, 1u << 20, "router to core (other half of the within-tile latency)");
    v.field("chip_link_cycles", chip_link_cycles, 1, 1u << 24,
            "latency of a link that crosses a chip boundary (assumption: 100 ns)");
  }
};

struct BarrierParams {
  uint32_t base_cycles = 226;      // Davies 2018 Table 2: barrier 113 ns for 1 tile
  uint32_t router_cycles = 26;     // per router per wavefront, fitted so 8x4 tiles give 465 ns
  bool used_routers_only = false;  // wavefront over the routers in use (SANA-FE: by tiles in use) or the mesh

  template <class V>
  void describe(V& v) {
    v.field("base_cycles", base_cycles, 0, 1u << 24,
            "barrier latency of a one-router mesh (Davies 2018: 113 ns for 1 tile)");
    v.field("router_cycles", router_cycles, 0, 1u << 20,
            "barrier handling per router per wavefront (fit: 465 ns for 32 tiles)");
    v.field("used_routers_only", used_routers_only,
            "the wavefront spans only the rectangle from router (0, 0) to the farthest router that holds a "
            "mapped core (SANA-FE: barrier looked up by the tiles in use); off: the whole mesh");
  }
};

// How the compiler (model/compiler.h) lays a network out on the chip. Not hardware: a toolchain setting.
struct MappingParams {
  std::string placement = "min_hops";  // "mesh_order" | "min_hops" (traffic-weighted local search)
  std::string objective = "fit";       // "fit" (fewest cores) | "balance" (least estimated core time) | "interleave"
  std::string rates = "random";        // what drives the firing-rate measurement: "random" | "workload"
  uint32_t rate_timesteps = 8;         // reference steps (after the pipeline depth D) that measure firing rates
  uint64_t rate_seed = 1;              // seed of the random stimulus (or of the workload's x_T) of the measurement
  uint32_t rate_images = 1;            // rates: workload: images the reference sampler generates

  template <class V>
  void describe(V& v) {
    v.field("placement", placement,
            "where partitions go on the mesh: 'mesh_order' (core i in slot i) or 'min_hops' "
            "(local search minimising traffic x hop latency, traffic from measured firing rates)");
    v.field(
        "objective", objective,
        "what the partition optimises: 'fit' (greedy fill in file order, each core as full as its limits "
        "allow: fewest cores) or 'balance' (the same fill under a cap on each core's estimated time per "
        "timestep, the cap as low as lets the network fit the mesh's cores; docs/architecture.md#mapping-objective) or "
        "'interleave' (the FSDDIM loop, one image at a time: the cap on each core's busiest timestep, a population "
        "working only in its window, and cores filled with populations whose windows lie apart)");
    v.field("rates", rates,
            "what drives the firing rates that weigh the traffic estimate and the balance objective: 'random' "
            "(rate_timesteps of random input after the depth D) or 'workload' (the FSDDIM loop's own images: the "
            "reference sampler on rate_images images, x_T from rate_seed; docs/architecture.md#mapping-objective)");
    v.field("rate_timesteps", rate_timesteps, 1, 1u << 16,
            "rates: random: reference-simulator timesteps, after the depth D, whose firing rates are measured");
    v.field("rate_seed", rate_seed, 0, ~uint64_t{0} >> 1,
            "seed of the random input (rates: random) or of the images' x_T (rates: workload) of the measurement");
    v.field("rate_images", rate_images, 1, 1024,
            "rates: workload: images the reference sampler generates to measure the rates");
  }
};

// The embedded management core that runs the DDIM loop in hosted mode (hw/management_core.h): a mesh node
// with its own local port on router (router_x, router_y). Loihi 1 has 3 embedded x86 cores on the mesh
// (docs/sources.md#chip); where they sit is not public: the default puts it on router (0, 0), where the barrier
// wavefront starts, as an extra local port (the mapper's core slots are untouched).
struct ManagementParams {
  uint32_t update_cycles = 8;           // per element of the fixed-point DDIM update (assumption)
  uint32_t message_cycles = 2;          // per message sent or received (assumption)
  uint32_t router_x = 0, router_y = 0;  // its router (global coordinates)
  // Writes that do not depend on the timestep just computed (within a network call: input payloads and
  // bias writes, no reset, no DDIM update) are sent while the timestep computes, into double-buffered
  // registers (hw/management_core.h); off: every write is sent before the barrier, as the timestep waits.
  bool overlap_writes = false;

  template <class V>
  void describe(V& v) {
    v.field("update_cycles", update_cycles, 0, 1u << 20,
            "management-core cycles per element of the DDIM update: two multiplies, an add, a rounding shift and a "
            "saturation on an in-order x86 core (assumption; no public Loihi figure)");
    v.field("message_cycles", message_cycles, 1, 1u << 20,
            "management-core cycles per mesh message it sends (a store to its mesh interface) or receives (a load "
            "from it): assumption, no public Loihi figure");
    v.field("router_x", router_x, 0, 4095,
            "x of the router whose extra local port the management core sits on (global, < chips_x x routers_x)");
    v.field("router_y", router_y, 0, 4095,
            "y of the router whose extra local port the management core sits on (global, < chips_y x routers_y)");
    v.field("overlap_writes", overlap_writes,
            "send the writes that do not depend on the timestep just computed (input payloads and bias writes "
            "within a network call) while the timestep computes, into double-buffered payload and bias "
            "registers (assumption, docs/architecture.md); off: all writes before the barrier");
  }
};

struct ChipParams {
  double clock_mhz = 2000.0;  // notional clock: Loihi is asynchronous; cycles map latencies to 0.5 ns
  MeshParams mesh;
  CoreParams core;
  RouterParams router;
  BarrierParams barrier;
  MappingParams mapping;
  ManagementParams management;
  uint64_t watchdog_cycles = 10000000;  // no flit moves and no core busy for this long: deadlock
  bool power_gating = false;            // cores with nothing mapped draw no static power

  template <class V>
  void describe(V& v) {
    v.field("clock_mhz", clock_mhz, 1.0, 1.0e6, "notional clock: converts cycles to seconds");
    v.field("watchdog_cycles", watchdog_cycles, 1, uint64_t{1} << 50,
            "cycles without progress (flits stuck, no core busy) that stop a run as a deadlock");
    v.field("power_gating", power_gating,
            "cores with no compartment mapped are power-gated: no static power (SANA-FE models no static "
            "power at all); off: every core of the mesh draws the energy table's core static power");
    v.section("mesh", mesh);
    v.section("core", core);
    v.section("router", router);
    v.section("barrier", barrier);
    v.section("mapping", mapping);
    v.section("management", management);
  }
};

}  // namespace spikemesh
