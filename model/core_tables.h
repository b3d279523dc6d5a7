// Table compilation: from a partition to each core's synapse formats, synaptic memory image, input axons
// and shared kernels, and the output axons (routing entries) of every compartment; and the count of those
// routing entries without building the tables, which the partition rounds need.
#pragma once

#include <cstdint>
#include <vector>

#include "mapping.h"
#include "mapping_index.h"
#include "partition.h"
#include "routing.h"

namespace spikemesh {

// The routing entries the tables of a partition give each neuron: discrete axons, one per core holding a
// target of the neuron; population axons, one per (core, kernel) whose band the neuron's pixel reaches,
// where its channel has a kernel row.
// With chip.core.shared_output_axons, the neurons of one sharing key on a core (MappingIndex::
// output_share_key) hold one range of output axons between them: the core counts it once, and each of them
// is charged its share (rounded up) for the next partition round.
struct RoutingCount {
  std::vector<uint32_t> out_need;    // per global neuron: its destinations (the messages a spike sends)
  std::vector<uint32_t> out_charge;  // per global neuron: the output axons charged to it
  std::vector<uint64_t> per_core;    // per core: output axons used
  int64_t over_core = -1;            // the first core over chip.core.output_axons (-1: none)
  // The output axons of core c's compartments.
  uint64_t core_outputs(uint32_t c) const { return per_core[c]; }
};

// Counts the routing entries of `part`. Raises the synapse-format failure the tables would, for the first
// core over 16 formats (the only per-core failure compiling adds).
RoutingCount count_routing_entries(const MappingIndex& index, const Partition& part, const ChipParams& chip);

// Core c of `part` has more output axons than a core holds: the MappingError naming the core and its need.
[[noreturn]] void fail_output_axons(const MappingIndex& index, const Partition& part, const RoutingCount& count,
                                    uint32_t c, const ChipParams& chip);

// Compiles the tables of `part`, logical core c in core slot c of `geo` (mesh order; the compiler may move
// cores later, placement.h). Each Destination carries its core's router and local port.
ChipProgram compile_tables(const MappingIndex& index, const Partition& part, const MeshGeometry& geo);

}  // namespace spikemesh
