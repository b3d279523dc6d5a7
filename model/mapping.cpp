// The mapper's driver: partition rounds until every core's output axons fit, then the tables of the last
// partition in mesh order. The steps live in their own files; see mapping.h.
#include "mapping.h"

#include <algorithm>
#include <vector>

#include "core_accounting.h"
#include "core_tables.h"
#include "core_work.h"
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
// With work rates, each core's estimated cycles are capped at max_core_cycles (the balance objective), and a
// partition that needs more cores than the mesh has fails at once (resource "cores": the rounds only grow
// charges, so later rounds would need as many or more).
Partition partition_rounds(const MappingIndex& index, const ChipParams& chip, const WorkRates* work = nullptr,
                           double max_core_cycles = 0.0) {
  Partitioner partitioner(index, chip);
  partitioner.set_work_cap(work, max_core_cycles);
  const MeshGeometry geo = MeshGeometry::from(chip.mesh);
  std::vector<uint32_t> out_estimate(index.neurons(), 0);  // per global neuron: output axons charged
  std::vector<uint32_t> out_messages(index.neurons(), 0);  // per global neuron: destinations (work estimate)
  for (uint32_t round = 0;; ++round) {
    Partition part = partitioner.run(out_estimate, &out_messages);
    if (work && part.cores.size() > geo.cores()) check_core_count(part, index.net, geo);
    const RoutingCount count = count_routing_entries(index, part, chip);
    if (count.over_core < 0) {
      check_core_count(part, index.net, geo);
      return part;
    }
    bool grew = false;
    for (uint64_t g = 0; g < count.out_need.size(); ++g) {
      out_messages[g] = std::max(out_messages[g], count.out_need[g]);
      if (count.out_charge[g] > out_estimate[g]) {
        out_estimate[g] = count.out_charge[g];
        grew = true;
      }
    }
    if (!grew || round == 32) fail_output_axons(index, part, count, static_cast<uint32_t>(count.over_core), chip);
  }
}

}  // namespace

ChipProgram map_network(const Network& net, const ChipParams& chip) {
  check_graded_spikes(net, chip);
  const MappingIndex index(net, chip);
  return map_network(index, chip);
}

ChipProgram map_network(const MappingIndex& index, const ChipParams& chip) {
  check_graded_spikes(index.net, chip);
  const Partition part = partition_rounds(index, chip);
  return compile_tables(index, part, MeshGeometry::from(chip.mesh));
}

// Bisection on the cap: the fit partition (no cap) is feasible and its longest core is `fit_cycles`, so the
// search starts with it and bisects [0, fit_cycles]; each probe runs the partition rounds under the cap, and
// is infeasible when the network then needs more cores than the mesh has, or fails any per-core check (thinner
// cuts reach more cores, so output axons may not converge). The probes stop when the feasible and the
// infeasible cap are within kBalanceTolerance of each other, or after kBalanceProbes.
ChipProgram map_network_balanced(const MappingIndex& index, const WorkRates& work, const ChipParams& chip,
                                 double fit_cycles, BalanceSearch* search) {
  check_graded_spikes(index.net, chip);
  BalanceSearch info;
  info.fit_cycles = fit_cycles;
  info.cap_cycles = fit_cycles;
  Partition best = partition_rounds(index, chip);
  double lo = 0.0, hi = fit_cycles;
  while (hi - lo > kBalanceTolerance * hi && info.probes < kBalanceProbes) {
    const double mid = 0.5 * (lo + hi);
    ++info.probes;
    try {
      best = partition_rounds(index, chip, &work, mid);
      hi = mid;
      info.cap_cycles = mid;
    } catch (const MappingError&) {
      lo = mid;
    }
  }
  if (search) *search = info;
  return compile_tables(index, best, MeshGeometry::from(chip.mesh));
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
