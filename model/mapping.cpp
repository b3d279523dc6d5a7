// The mapper's driver: partition rounds until every core's output axons fit, then the tables of the last
// partition in mesh order. The steps live in their own files; see mapping.h.
#include "mapping.h"

#include <algorithm>
#include <vector>

#include "core_accounting.h"
#include "core_tables.h"
#include "mapping_index.h"
#include "partition.h"

namespace spikemesh {
namespace {

// Output axons depend on how the targets are cut, which the greedy pass decides later: partition, count
// each core's routing entries, and while a core has too many output axons, partition again with each
// neuron charged the routing entries it needed (estimates only grow, so this ends; targets' cuts do not
// depend on their sources' cuts except where two populations share a core). A round counts the entries
// compile_tables would make instead of compiling: the tables are built once, for the last partition.
// Returns that partition, after every check map_network makes (compiling raises nothing they do not).
Partition partition_rounds(const MappingIndex& index, const ChipParams& chip) {
  Partitioner partitioner(index, chip);
  std::vector<uint32_t> out_estimate(index.neurons(), 0);  // per global neuron: routing entries charged
  for (uint32_t round = 0;; ++round) {
    Partition part = partitioner.run(out_estimate);
    const RoutingCount count = count_routing_entries(index, part, chip);
    if (count.over_core < 0) {
      check_core_count(part, index.net, MeshGeometry::from(chip.mesh));
      return part;
    }
    bool grew = false;
    for (uint64_t g = 0; g < count.out_need.size(); ++g)
      if (count.out_need[g] > out_estimate[g]) {
        out_estimate[g] = count.out_need[g];
        grew = true;
      }
    if (!grew || round == 32) fail_output_axons(index, part, count, static_cast<uint32_t>(count.over_core), chip);
  }
}

}  // namespace

ChipProgram map_network(const Network& net, const ChipParams& chip) {
  check_graded_spikes(net, chip);
  const MappingIndex index(net, chip);
  const Partition part = partition_rounds(index, chip);
  return compile_tables(index, part, MeshGeometry::from(chip.mesh));
}

uint32_t map_network_cores(const Network& net, const ChipParams& chip) {
  check_graded_spikes(net, chip);
  const MappingIndex index(net, chip);
  return static_cast<uint32_t>(partition_rounds(index, chip).cores.size());
}

RouterSpan barrier_span(const ChipProgram& program, const BarrierParams& b) {
  const MeshGeometry& g = program.geometry;
  if (!b.used_routers_only) return {g.width(), g.height()};
  RouterSpan span;
  for (uint32_t c = 0; c < program.cores.size(); ++c) {
    if (!core_in_use(program, c)) continue;
    const auto p = g.place(c);
    span.width = std::max(span.width, p.x + 1);
    span.height = std::max(span.height, p.y + 1);
  }
  return span;
}

}  // namespace spikemesh
