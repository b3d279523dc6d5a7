// Basic mapping of a network onto the chip: partition populations into per-core pieces within the
// per-core limits, place the pieces on cores in mesh order, and compile every core's tables (synapse
// formats, synaptic memory image, input axons, output axons = the routing tables). A network that does
// not fit fails here, before any simulation, naming the population, the resource, the need and the
// capacity. Deliberately simple (greedy, in file order); a later compiler does better.
// The steps, one file each: mapping_index.h (what they read of the network), partition.h (which neurons
// on which core), core_accounting.h (what a core uses, the fit checks), core_tables.h (the tables and
// their routing-entry count), placement.h (core slots; mesh order here, the compiler may move cores).
//
// What a core holds (Loihi 1 terms, docs/sources.md#core and docs/sources.md#conv-mapping):
//   compartments   one per neuron. A population's neurons on a core are one contiguous C-order range,
//                  except a (C, H, W) conv target, tiled by row bands: a core holds rows [y0, y1) of a
//                  block of channels (all channels when a row of them fits), one segment per channel, so a
//                  conv source pixel reaches only the cores whose bands its receptive rows overlap
//   input axons    discrete: one per source neuron with synapses on the core (its list holds one
//                  segment per projection); population axons: one per source pixel of a conv
//                  projection with a shared kernel, the spike's atom being the input channel
//   synapse words  the lists (dense/sparse blocks, synapse_memory.h) plus shared kernel rows
//   output axons   one per (compartment, destination axon): a spike sends one message per entry
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chip_params.h"
#include "error.h"
#include "network.h"
#include "routing.h"
#include "synapse_memory.h"

namespace spikemesh {

struct CoreSegment {
  uint32_t population = 0;
  uint64_t first = 0;  // first neuron of the population on this core
  uint32_t count = 0;
  uint32_t base = 0;  // its first compartment
};

enum class AxonKind : uint8_t { Discrete, ConvPopulation };

struct InputAxonEntry {
  AxonKind kind = AxonKind::Discrete;
  uint32_t source_population = 0;
  uint64_t word_offset = 0;  // discrete: the axon's synapse list in the memory image
  uint32_t words = 0;
  uint32_t kernel = 0;  // population axon: index into CoreProgram::kernels
  uint32_t pixel_y = 0, pixel_x = 0;
};

// A conv kernel stored once on a core: one row per input channel, each a dense list of the weights
// [co][tap] for the output channels of its group held by this core.
struct ConvKernelEntry {
  uint32_t projection = 0;
  uint32_t co_lo = 0, co_hi = 0;       // output channels with neurons on this core
  uint32_t y_lo = 0, y_hi = 0;         // output rows [y_lo, y_hi) with neurons on this core (its band)
  std::vector<uint64_t> row_offset;    // per input channel: word offset in the image
  std::vector<uint32_t> row_words;     // per input channel (0: no output channel of its group here)
  std::vector<uint32_t> row_co_first;  // per input channel: first output channel of its row
  std::vector<uint32_t> row_co_count;
};

// One message a spike sends: the destination core, the input axon there, and the atom (input channel
// for a population axon, 0 otherwise).
struct Destination {
  uint32_t core = 0;
  uint32_t axon = 0;
  uint32_t atom = 0;
  uint32_t synapses = 0;             // length of the destination axon's list (discrete axons; 0 for population axons)
  uint16_t x = 0, y = 0, local = 0;  // the destination core's router and local port (geometry.place(core))
  bool operator==(const Destination& o) const {
    return core == o.core && axon == o.axon && atom == o.atom && synapses == o.synapses;
  }
};

struct CoreProgram {
  std::vector<CoreSegment> segments;
  uint32_t compartments = 0;
  std::vector<SynapseFormat> formats;   // the core's synapse-format table (<= 16)
  std::vector<uint64_t> synapse_words;  // the synaptic memory image
  std::vector<InputAxonEntry> input_axons;
  std::vector<ConvKernelEntry> kernels;
  std::vector<uint32_t> out_begin;  // per compartment + 1: CSR into `out`
  std::vector<Destination> out;     // per compartment, the messages a spike sends (atom included)
  // chip.core.shared_output_axons: per compartment, 1 when its destinations are another compartment's but
  // for the atom, so its range of the output-axon memory is that one's (empty: nothing shared).
  std::vector<uint8_t> out_shared;
  // Output axons used: the entries of every range held once.
  uint64_t output_axons() const { return out.size() - shared_outputs(0, compartments); }
  // Of compartments [first, last): the entries that lie in a range another compartment holds.
  uint64_t shared_outputs(uint32_t first, uint32_t last) const {
    uint64_t n = 0;
    for (uint32_t k = first; k < last && k < out_shared.size(); ++k)
      if (out_shared[k]) n += out_begin[k + 1] - out_begin[k];
    return n;
  }
};

struct ChipProgram {
  MeshGeometry geometry;
  std::vector<CoreProgram> cores;  // every core of the chip in mesh order; unused ones empty (map_network
                                   // fills 0..cores_used-1; the compiler's placement may scatter them)
  uint32_t cores_used = 0;
  uint32_t max_delay = 0;   // largest synaptic delay: the cores' delay-slot ring
  uint8_t index_bits = 10;  // compartment index width of sparse records
  // Where each population lives: per population, its segments (core index + segment).
  struct Placement {
    uint32_t core;
    CoreSegment segment;
  };
  std::vector<std::vector<Placement>> placement;
  std::vector<uint32_t> tile_channels;  // per population: channels per row band; 0: contiguous ranges
};

// A network that does not fit. what() is the full message; the fields let tools act on it (e.g. search
// for a chip shape that fits: only resource "cores" depends on the mesh, every other limit is per core).
class MappingError : public Error {
 public:
  MappingError(const std::string& what, std::string population_, std::string resource_, uint64_t need_,
               uint64_t capacity_)
      : Error(what),
        population(std::move(population_)),
        resource(std::move(resource_)),
        need(need_),
        capacity(capacity_) {}
  std::string population;  // the population that does not fit ('' when several share a core)
  std::string
      resource;  // compartments, input axons, output axons, synapse words, synapse formats, graded spikes, cores
  uint64_t need = 0, capacity = 0;
};

// Maps `net` (already validated) onto the chip. Throws Error("mapping: ...") naming the population, the
// resource (compartments, input axons, output axons, synapse words, synapse formats, graded spikes,
// cores), what it needs and what a core (or the chip) has, with the config key of the capacity; the
// exception is a MappingError carrying those fields.
ChipProgram map_network(const Network& net, const ChipParams& chip);
struct MappingIndex;
ChipProgram map_network(const MappingIndex& index, const ChipParams& chip);  // the same, on a built index

// The balance objective (chip.mapping.objective: balance, docs/architecture.md#mapping-objective): the same
// greedy fill as map_network, but a core that already holds neurons takes the next unit only while its
// estimated cycles per timestep (core_work.h: sweep + max(dendrite, output stage), from `work`) stay within
// a cap; the cap is searched down from `fit_cycles` (the longest core of map_network's partition, which is
// feasible) to the lowest that still fits the mesh's cores. Heavy populations so get thinner row bands or
// ranges on more cores, light ones keep their full cores, and the mesh's free core slots are used. The
// objective is each core's sum over all its segments, so it bounds a timestep whether only the populations
// of one delay-balanced depth are active (one image at a time) or all of them are (images pipelined).
struct BalanceSearch {
  double fit_cycles = 0.0;  // the fit partition's longest estimated core time (the search's start)
  double cap_cycles = 0.0;  // the cap of the partition chosen (fit_cycles: the fit partition, no cap below fit)
  uint32_t probes = 0;      // capped partitions tried
};
constexpr double kBalanceTolerance = 0.01;  // relative gap between feasible and infeasible cap at which it stops
constexpr uint32_t kBalanceProbes = 16;
struct WorkRates;
ChipProgram map_network_balanced(const MappingIndex& index, const WorkRates& work, const ChipParams& chip,
                                 double fit_cycles, BalanceSearch* search = nullptr);

// map_network's partition and every check it makes (the same MappingError), without compiling the final
// tables: the number of cores the network uses. For searches that only ask whether a chip fits.
uint32_t map_network_cores(const Network& net, const ChipParams& chip);

// Whether core `core` of `program` holds any compartment (a core that holds none can be power-gated).
inline bool core_in_use(const ChipProgram& program, uint32_t core) { return !program.cores[core].segments.empty(); }

// The routers the barrier wavefront covers (BarrierParams::used_routers_only): the whole mesh, or the
// rectangle from router (0, 0) to the largest x and the largest y of a router holding a core in use.
RouterSpan barrier_span(const ChipProgram& program, const BarrierParams& b);

}  // namespace spikemesh
