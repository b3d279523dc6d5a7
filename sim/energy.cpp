// Energy pricing; see energy.h.
#include "energy.h"

namespace spikemesh {
namespace {

constexpr double kPj = 1e-12;

// One priced event: its name, its price, and how to read its count from a component's counters.
template <class Counters>
struct Event {
  const char* name;
  const std::optional<double>* price;
  uint64_t (*count)(const Counters&);
};

template <class Counters>
double component_dynamic(const Counters& x, const std::vector<Event<Counters>>& events) {
  double j = 0;
  for (const auto& e : events)
    if (*e.price) j += double(e.count(x)) * **e.price * kPj;
  return j;
}

}  // namespace

EnergyReport price_energy(const ChipCounters& c, const EnergyTable& t) {
  const std::vector<Event<CoreCounters>> core_events = {
      {"synop_dense", &t.synop_dense_pj, [](const CoreCounters& x) { return x.synops_dense; }},
      {"synop_sparse", &t.synop_sparse_pj, [](const CoreCounters& x) { return x.synops_sparse; }},
      {"synop_conv", &t.synop_conv_pj, [](const CoreCounters& x) { return x.synops_conv; }},
      {"word_read", &t.word_read_pj, [](const CoreCounters& x) { return x.words_read; }},
      {"update_active", &t.update_active_pj, [](const CoreCounters& x) { return x.updates_active; }},
      {"update_inactive", &t.update_inactive_pj, [](const CoreCounters& x) { return x.updates_inactive; }},
      {"spike", &t.spike_pj, [](const CoreCounters& x) { return x.spikes; }},
      {"message_out", &t.message_out_pj, [](const CoreCounters& x) { return x.messages_out; }},
      {"message_in", &t.message_in_pj, [](const CoreCounters& x) { return x.messages_in; }},
  };
  const std::vector<Event<RouterCounters>> router_events = {
      {"hop_ew", &t.hop_ew_pj, [](const RouterCounters& x) { return x.hops_ew; }},
      {"hop_ns", &t.hop_ns_pj, [](const RouterCounters& x) { return x.hops_ns; }},
      {"chip_link", &t.chip_link_pj, [](const RouterCounters& x) { return x.hops_chip; }},
      {"tile", &t.tile_pj, [](const RouterCounters& x) { return x.ejected; }},
  };
  EnergyReport r;
  const double seconds = c.seconds();
  const double core_static = t.core_static_mw * 1e-3 * seconds, router_static = t.router_static_mw * 1e-3 * seconds;
  // Chip-wide: event totals times prices.
  auto totals = [&](const auto& events, const auto& comps, const char* kind, auto& out) {
    for (const auto& e : events) {
      uint64_t n = 0;
      for (const auto& x : comps) n += e.count(x);
      if (!*e.price) {
        if (n) r.unpriced.push_back(std::string(kind) + "." + e.name);
        continue;
      }
      out.emplace_back(std::string(kind) + "." + e.name, double(n) * **e.price * kPj);
    }
  };
  totals(core_events, c.cores, "core", r.core_events);
  totals(router_events, c.routers, "router", r.router_events);
  for (const auto& e : r.core_events) r.core_dynamic_j += e.second;
  for (const auto& e : r.router_events) r.router_dynamic_j += e.second;
  r.core_static_j = core_static * double(c.cores.size());
  r.router_static_j = router_static * double(c.routers.size());
  // The management core: its busy cycles (compute and message handling); its messages' hops are the
  // routers' events above.
  if (c.management.busy_cycles > 0) {
    if (t.management_cycle_pj) r.management_j = double(c.management.busy_cycles) * *t.management_cycle_pj * kPj;
    else r.unpriced.push_back("management.cycle");
  }
  r.dynamic_j = r.core_dynamic_j + r.router_dynamic_j + r.management_j;
  r.static_j = r.core_static_j + r.router_static_j;
  r.total_j = r.dynamic_j + r.static_j;
  // Per component: its own counters.
  for (const auto& x : c.cores) r.per_core_j.push_back(component_dynamic(x, core_events) + core_static);
  for (const auto& x : c.routers) r.per_router_j.push_back(component_dynamic(x, router_events) + router_static);
  return r;
}

}  // namespace spikemesh
