// Delay balancing; see delay_balance.h.
#include "delay_balance.h"

#include <algorithm>
#include <deque>

#include "error.h"

namespace spikemesh {

BalanceReport balance_delays(Network& net) {
  const size_t np = net.populations.size();
  std::vector<uint32_t> indegree(np, 0);
  std::vector<std::vector<size_t>> out(np);
  for (size_t j = 0; j < net.projections.size(); ++j) {
    const Projection& pr = net.projections[j];
    if (pr.delays.size() != 1)
      throw Error("/projections/" + std::to_string(j) + " ('" + pr.name +
                  "'): per-synapse delays cannot be balanced; expected one delay per projection");
    if (pr.source == pr.target) continue;
    ++indegree[pr.target];
    out[pr.source].push_back(j);
  }
  BalanceReport rep;
  rep.population_depth.assign(np, 0);
  std::deque<size_t> ready;
  for (size_t p = 0; p < np; ++p)
    if (indegree[p] == 0) ready.push_back(p);
  size_t done = 0;
  while (!ready.empty()) {  // Kahn's topological order; depth is final when a population is popped
    const size_t u = ready.front();
    ready.pop_front();
    ++done;
    for (size_t j : out[u]) {
      const Projection& pr = net.projections[j];
      auto& d = rep.population_depth[pr.target];
      d = std::max(d, rep.population_depth[u] + 1 + pr.delays[0]);
      if (--indegree[pr.target] == 0) ready.push_back(pr.target);
    }
  }
  if (done != np) {
    for (size_t j = 0; j < net.projections.size(); ++j) {
      const Projection& pr = net.projections[j];
      if (pr.source != pr.target && indegree[pr.source] > 0 && indegree[pr.target] > 0)
        throw Error("/projections/" + std::to_string(j) + " ('" + pr.name + "'): on a cycle through populations '" +
                    net.populations[pr.source].name + "' and '" + net.populations[pr.target].name +
                    "'; only self-recurrent projections can be delay-balanced");
    }
  }
  rep.projection_delay.resize(net.projections.size());
  for (size_t j = 0; j < net.projections.size(); ++j) {
    Projection& pr = net.projections[j];
    if (pr.source != pr.target) {
      const uint32_t need = rep.population_depth[pr.target] - rep.population_depth[pr.source] - 1;
      if (need > kMaxDelay)
        throw Error("/projections/" + std::to_string(j) + " ('" + pr.name + "' from '" +
                    net.populations[pr.source].name + "' to '" + net.populations[pr.target].name +
                    "'): needs a synaptic delay of " + std::to_string(need) +
                    " timesteps to balance its paths; the hardware maximum is " + std::to_string(kMaxDelay));
      pr.delays[0] = static_cast<uint8_t>(need);
    }
    rep.projection_delay[j] = pr.delays[0];
  }
  bool any_readout = false;
  for (size_t p = 0; p < np; ++p) any_readout |= net.populations[p].kind == NeuronKind::Readout;
  for (size_t p = 0; p < np; ++p) {
    net.populations[p].bias_start = rep.population_depth[p];
    if (!any_readout || net.populations[p].kind == NeuronKind::Readout)
      rep.depth = std::max(rep.depth, rep.population_depth[p]);
  }
  net.metadata.attributes["pipeline_depth"] = std::to_string(rep.depth);
  return rep;
}

}  // namespace spikemesh

namespace spikemesh {

uint32_t gate_bias_after_window(Network& net, uint32_t window) {
  uint32_t changed = 0;
  for (Population& p : net.populations) {
    if (p.kind == NeuronKind::Input) continue;
    const uint64_t n = p.size();
    if (p.has_bias_table()) {
      if (p.bias_phases > window) {  // already gated (a zero phase at `window`), or longer than the window
        bool zero = true;
        for (uint32_t k = 0; k < p.bias_contexts && zero; ++k)
          for (uint32_t c = 0; c < p.bias_columns; ++c)
            zero &= p.bias_table[(uint64_t{k} * p.bias_phases + window) * p.bias_columns + c] == 0;
        if (zero) continue;
      }
      // Phases 0..window-1 as they were (the last one repeated where the table was shorter), then zero.
      std::vector<int16_t> t(uint64_t{p.bias_contexts} * (window + 1) * p.bias_columns, 0);
      for (uint32_t k = 0; k < p.bias_contexts; ++k)
        for (uint32_t ph = 0; ph < window; ++ph) {
          const uint32_t src = std::min(ph, p.bias_phases - 1);
          std::copy_n(p.bias_table.begin() + (uint64_t{k} * p.bias_phases + src) * p.bias_columns, p.bias_columns,
                      t.begin() + (uint64_t{k} * (window + 1) + ph) * p.bias_columns);
        }
      p.bias_table = std::move(t);
      p.bias_phases = window + 1;
      ++changed;
      continue;
    }
    bool any = false;
    for (const auto& q : p.params) any |= q.bias_mant != 0;
    if (!any) continue;
    // One column per channel where the bias is the same over each channel's pixels (a conv layer's
    // folded bias), else one per neuron: the table is what a management core writes to switch it.
    bool per_channel = p.shape.size() == 3 && p.shape[0] > 0;
    const uint64_t channel_pixels = per_channel ? n / p.shape[0] : 1;
    for (uint64_t i = 0; i < n && per_channel; ++i)
      per_channel = p.param(i).bias_mant == p.param(i - i % channel_pixels).bias_mant;
    const uint64_t columns = per_channel ? p.shape[0] : n, pixels = per_channel ? channel_pixels : 1;
    p.bias_contexts = 1;
    p.bias_phases = window + 1;
    p.bias_columns = static_cast<uint32_t>(columns);
    p.bias_table.assign(uint64_t{window + 1} * columns, 0);
    for (uint32_t ph = 0; ph < window; ++ph)
      for (uint64_t c = 0; c < columns; ++c) p.bias_table[uint64_t{ph} * columns + c] = p.param(c * pixels).bias_mant;
    ++changed;
  }
  return changed;
}

}  // namespace spikemesh
