// The compiler passes around the mapping: delay report, traffic estimate, placement, utilisation, and the
// search for a mesh that fits; see compiler.h.
#include "compiler.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "delay_balance.h"
#include "error.h"
#include "mapping_index.h"
#include "random_network.h"
#include "reference_sim.h"
#include "synapse_memory.h"

namespace spikemesh {
namespace {

// The population whose segment holds compartment `comp` of a core.
uint32_t population_at(const CoreProgram& core, uint32_t comp) {
  for (const auto& s : core.segments)
    if (comp >= s.base && comp < s.base + s.count) return s.population;
  throw Error("compiler: compartment " + std::to_string(comp) + " of a core belongs to no segment (corrupt program)");
}

}  // namespace

CoreUsage core_usage(const CoreProgram& core) {
  CoreUsage u;
  u.compartments = core.compartments;
  u.input_axons = core.input_axons.size();
  u.output_axons = core.output_axons();
  u.synapse_words = core.synapse_words.size();
  u.synapse_formats = core.formats.size();
  return u;
}

CoreUsage core_capacity(const ChipParams& chip) {
  CoreUsage u;
  u.compartments = chip.core.compartments;
  u.input_axons = chip.core.input_axons;
  u.output_axons = chip.core.output_axons;
  u.synapse_words = chip.core.synapse_words;
  u.synapse_formats = kMaxSynapseFormats;
  return u;
}

std::vector<PopulationUsage> population_usage(const Network& net, const ChipProgram& program) {
  std::vector<PopulationUsage> pops(net.populations.size());
  for (uint32_t c = 0; c < program.cores.size(); ++c) {
    const CoreProgram& core = program.cores[c];
    if (core.compartments == 0) continue;
    for (const auto& s : core.segments) {
      PopulationUsage& pu = pops[s.population];
      if (pu.cores.empty() || pu.cores.back() != c) pu.cores.push_back(c);
      pu.use.compartments += s.count;
      pu.use.output_axons +=
          core.out_begin[s.base + s.count] - core.out_begin[s.base] - core.shared_outputs(s.base, s.base + s.count);
    }
    // Discrete axons: every block of a list targets one projection, hence one population.
    for (const auto& ax : core.input_axons) {
      if (ax.kind != AxonKind::Discrete) {
        pops[net.projections[core.kernels[ax.kernel].projection].target].use.input_axons += 1;
        continue;
      }
      std::set<uint32_t> reached;
      uint64_t w = ax.word_offset;
      const uint64_t end = ax.word_offset + ax.words;
      while (w < end) {
        BitReader r(core.synapse_words.data() + w, end - w);
        const uint32_t id = static_cast<uint32_t>(r.read(kFormatIdBits));
        const SynapseFormat& f = core.formats.at(id);
        const uint32_t n = static_cast<uint32_t>(r.read(kCountBits)) + 1;
        const uint32_t comp = static_cast<uint32_t>(r.read(f.index_bits));  // dense: base; sparse: first target
        const uint32_t p = population_at(core, comp);
        const uint64_t words = (block_bits(f, n) + 63) / 64;
        pops[p].use.synapse_words += words;
        reached.insert(p);
        w += words;
      }
      for (uint32_t p : reached) pops[p].use.input_axons += 1;
    }
    for (const auto& k : core.kernels) {
      uint64_t words = 0;
      for (auto rw : k.row_words) words += rw;
      pops[net.projections[k.projection].target].use.synapse_words += words;
    }
  }
  return pops;
}

std::vector<double> measure_firing_rates(const Network& net, uint32_t warmup, uint32_t timesteps, uint64_t seed) {
  const uint32_t total = warmup + timesteps;
  const Stimulus stim = make_random_stimulus(net, total, seed);
  const auto off = population_offsets(net);
  std::vector<double> rates(off.back(), 0.0);
  ReferenceSimulator sim(net);
  sim.set_context(0);
  for (uint32_t t = 0; t < total; ++t) {
    for (const auto& rows : stim.inputs)
      if (t < rows.timesteps)
        sim.set_input(rows.population, rows.payloads.data() + uint64_t{t} * net.populations[rows.population].size());
    sim.step();
    if (t < warmup) continue;
    for (uint32_t p = 0; p < net.populations.size(); ++p) {
      const uint8_t* s = sim.spikes(p);
      for (uint64_t i = 0; i < net.populations[p].size(); ++i) rates[off[p] + i] += s[i];
    }
  }
  for (auto& r : rates) r /= timesteps;
  return rates;
}

std::vector<TrafficEdge> estimate_traffic(const Network& net, const ChipProgram& program,
                                          const std::vector<double>& rates) {
  const auto off = population_offsets(net);
  if (rates.size() != off.back())
    throw Error("compiler: firing rates: expected one per neuron (" + std::to_string(off.back()) + "), got " +
                std::to_string(rates.size()));
  std::map<std::pair<uint32_t, uint32_t>, double> edges;  // ordered: deterministic
  for (uint32_t c = 0; c < program.cores.size(); ++c) {
    const CoreProgram& core = program.cores[c];
    for (const auto& s : core.segments)
      for (uint32_t k = 0; k < s.count; ++k) {
        const double r = rates[off[s.population] + s.first + k];
        if (r <= 0.0) continue;
        for (uint32_t e = core.out_begin[s.base + k]; e < core.out_begin[s.base + k + 1]; ++e)
          edges[{c, core.out[e].core}] += r;
      }
  }
  std::vector<TrafficEdge> out;
  out.reserve(edges.size());
  for (const auto& [k, m] : edges) out.push_back({k.first, k.second, m});
  return out;
}

TrafficTotals traffic_totals(const std::vector<TrafficEdge>& traffic, const ChipProgram& program,
                             const ChipParams& chip) {
  const auto slots = core_slots(program.geometry);
  const auto ident = place_mesh_order(program.geometry.cores());
  TrafficTotals t;
  for (const auto& e : traffic) t.messages += e.messages;
  t.flit_hops = traffic_hops(traffic, ident, slots);
  t.flit_hop_cycles =
      traffic_hops(traffic, ident, slots, {double(chip.router.hop_ew_cycles), double(chip.router.hop_ns_cycles)});
  return t;
}

std::vector<PopulationWork> population_work(const Network& net, const ChipProgram& program,
                                            const std::vector<CoreWork>& work) {
  std::vector<PopulationWork> pops(net.populations.size());
  std::vector<double> sum(net.populations.size(), 0.0);
  for (uint32_t c = 0; c < program.cores.size(); ++c) {
    const auto& segs = program.cores[c].segments;
    for (size_t q = 0; q < segs.size(); ++q) {
      if (q > 0 && segs[q].population == segs[q - 1].population) continue;  // segments sorted by population
      PopulationWork& pw = pops[segs[q].population];
      ++pw.cores;
      pw.max_core_cycles = std::max(pw.max_core_cycles, work[c].objective_cycles());
      sum[segs[q].population] += work[c].objective_cycles();
    }
  }
  for (size_t p = 0; p < pops.size(); ++p)
    if (pops[p].cores) pops[p].mean_core_cycles = sum[p] / pops[p].cores;
  return pops;
}

CompiledNetwork compile_network(const Network& net, const ChipParams& chip, const CompileOptions& options) {
  const MappingParams& mp = chip.mapping;
  if (mp.placement != "mesh_order" && mp.placement != "min_hops")
    throw Error("chip.mapping.placement: expected 'mesh_order' or 'min_hops', got '" + mp.placement + "'");
  if (mp.objective != "fit" && mp.objective != "balance" && mp.objective != "interleave")
    throw Error("chip.mapping.objective: expected 'fit', 'balance' or 'interleave', got '" + mp.objective + "'");
  if (mp.objective == "interleave" && options.window_length == 0)
    throw Error(
        "chip.mapping.objective: 'interleave' weighs each population's work in its window of one image's network "
        "call, which only the FSDDIM loop with one image at a time has (fsddim.images > 0, fsddim.pipeline: 1); "
        "use 'balance'");
  if (mp.rates != "random" && mp.rates != "workload")
    throw Error("chip.mapping.rates: expected 'random' or 'workload', got '" + mp.rates + "'");
  if (mp.rates == "workload" && options.rates.empty())
    throw Error(
        "chip.mapping.rates: 'workload' measures the rates on the FSDDIM loop's own images, and this run has no "
        "loop (fsddim.images is 0); use 'random'");
  CompiledNetwork out;
  CompileReport& rep = out.report;
  rep.placement = mp.placement;
  rep.objective = mp.objective;
  {
    Network copy = net;
    try {
      const BalanceReport b = balance_delays(copy);
      rep.depth_known = true;
      rep.depth = b.depth;
      rep.projection_delay = b.projection_delay;
      rep.balanced = true;
      for (size_t j = 0; j < net.projections.size(); ++j)
        rep.balanced &= net.projections[j].delays == copy.projections[j].delays;
      for (size_t p = 0; p < net.populations.size(); ++p)
        rep.balanced &= net.populations[p].bias_start == copy.populations[p].bias_start;
    } catch (const Error& e) {
      rep.depth_note = e.what();
    }
  }
  // The rates depend on the network alone; the balance objective needs them before partitioning.
  if (options.rates.empty()) {
    rep.rate_timesteps = mp.rate_timesteps;
    rep.rates = measure_firing_rates(net, rep.depth_known ? rep.depth : 0, mp.rate_timesteps, mp.rate_seed);
    rep.rates_source = "random input: " + std::to_string(mp.rate_timesteps) + " reference steps after D, seed " +
                       std::to_string(mp.rate_seed);
  } else {
    rep.rates = options.rates;
    rep.rates_source = options.rates_source.empty() ? "given" : options.rates_source;
  }
  const MappingIndex index(net, chip);
  WorkRates work = work_rates(index, rep.rates);
  if (mp.objective == "interleave") {
    if (options.window_start.size() != net.populations.size())
      throw Error("compiler: work windows: expected one per population (" + std::to_string(net.populations.size()) +
                  "), got " + std::to_string(options.window_start.size()));
    work.window_start = options.window_start;
    work.window_length = options.window_length;
  }
  ChipProgram program = map_network(index, chip);
  rep.fit_cores_used = program.cores_used;
  {
    const std::vector<CoreWork> fit_work = estimate_core_work(index, work, program, chip.core);
    rep.fit_longest_cycles = longest_core_cycles(fit_work);
    rep.fit_population_work = population_work(net, program, fit_work);
  }
  if (mp.objective != "fit") program = map_network_balanced(index, work, chip, rep.fit_longest_cycles, &rep.balance);
  rep.cores_used = program.cores_used;
  const std::vector<TrafficEdge> traffic = estimate_traffic(net, program, rep.rates);
  rep.mesh_order = traffic_totals(traffic, program, chip);
  if (mp.placement == "mesh_order") {
    rep.slot_of_core = place_mesh_order(program.cores_used);
    rep.optimised = rep.mesh_order;
  } else {
    const PlacementCost cost{double(chip.router.hop_ew_cycles), double(chip.router.hop_ns_cycles)};
    rep.slot_of_core = place_min_hops(traffic, program.cores_used, core_slots(program.geometry), cost);
    program = permute_cores(std::move(program), rep.slot_of_core);
    rep.optimised = traffic_totals(estimate_traffic(net, program, rep.rates), program, chip);
  }
  rep.core_work = estimate_core_work(index, work, program, chip.core);
  rep.longest_cycles = longest_core_cycles(rep.core_work);
  rep.population_work = population_work(net, program, rep.core_work);
  out.program = std::move(program);
  return out;
}

std::string ShapeSearch::describe() const {
  if (!found) return why;
  std::ostringstream os;
  os << "chips_x=" << mesh.chips_x << " chips_y=" << mesh.chips_y << " routers_x=" << mesh.routers_x
     << " routers_y=" << mesh.routers_y << " cores_per_router=" << mesh.cores_per_router << " (" << mesh.cores()
     << " cores)";
  return os.str();
}

ShapeSearch smallest_fitting_shape(const Network& net, const ChipParams& chip, uint32_t max_routers,
                                   uint32_t max_chips) {
  ShapeSearch res;
  uint64_t need = 0;
  try {
    map_network_cores(net, chip);
    res.found = true;
    res.mesh = chip.mesh;
    return res;
  } catch (const MappingError& e) {
    if (e.resource != "cores") {
      res.why = "none: the limit is per core (resource " + e.resource + "), a larger mesh does not help";
      return res;
    }
    need = e.need;
  }
  const MeshParams& m = chip.mesh;
  std::string per_core;  // a per-core failure met on a mesh with enough cores
  // Candidates of one stage, fewest cores first, then the squarer, then the smaller x.
  auto try_stage = [&](std::vector<MeshParams> cands) {
    std::sort(cands.begin(), cands.end(), [](const MeshParams& a, const MeshParams& b) {
      const auto ka = std::make_tuple(a.cores(), std::abs(int(a.routers_x * a.chips_x) - int(a.routers_y * a.chips_y)),
                                      a.chips_x * a.routers_x, a.chips_x);
      const auto kb = std::make_tuple(b.cores(), std::abs(int(b.routers_x * b.chips_x) - int(b.routers_y * b.chips_y)),
                                      b.chips_x * b.routers_x, b.chips_x);
      return ka < kb;
    });
    uint32_t tries = 0;
    for (const MeshParams& c : cands) {
      if (c.cores() < need) continue;
      if (++tries > 8) break;  // bounded: each try maps the whole network
      ChipParams p = chip;
      p.mesh = c;
      try {
        map_network_cores(net, p);
        res.found = true;
        res.mesh = c;
        return true;
      } catch (const MappingError& e) {
        if (e.resource != "cores") {
          per_core = e.what();
          return false;
        }
        need = std::max<uint64_t>(need, e.need);
      }
    }
    return false;
  };
  std::vector<MeshParams> stage;
  for (uint32_t rx = m.routers_x; rx <= max_routers; ++rx)
    for (uint32_t ry = m.routers_y; ry <= max_routers; ++ry) {
      MeshParams c = m;
      c.routers_x = rx;
      c.routers_y = ry;
      stage.push_back(c);
    }
  if (try_stage(stage)) return res;
  if (!per_core.empty()) {
    res.why = "none: on a mesh with enough cores: " + per_core;
    return res;
  }
  stage.clear();
  for (uint32_t cx = m.chips_x; cx <= max_chips; ++cx)
    for (uint32_t cy = m.chips_y; cy <= max_chips; ++cy) {
      MeshParams c = m;
      c.chips_x = cx;
      c.chips_y = cy;
      stage.push_back(c);
    }
  if (try_stage(stage)) return res;
  if (!per_core.empty()) {
    res.why = "none: on a mesh with enough cores: " + per_core;
    return res;
  }
  std::ostringstream os;
  os << "none up to " << m.chips_x << "x" << m.chips_y << " chips of " << max_routers << "x" << max_routers
     << " routers or " << max_chips << "x" << max_chips << " chips of " << m.routers_x << "x" << m.routers_y
     << " routers (" << m.cores_per_router << " cores each): the network needs " << need << " cores";
  res.why = os.str();
  return res;
}

}  // namespace spikemesh
