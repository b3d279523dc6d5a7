// Energy pricing; see energy.h.
#include "energy.h"

#include <cstring>
#include <stdexcept>

namespace spikemesh {
namespace {

constexpr double kPj = 1e-12;

// The table's prices by event name, per component kind; a counter names its event in its field list
// (hw/counters.h).
using Prices = std::vector<std::pair<const char*, const std::optional<double>*>>;

const std::optional<double>* price_of(const Prices& prices, const char* event) {
  for (const auto& [name, price] : prices)
    if (std::strcmp(name, event) == 0) return price;
  return nullptr;
}

// The priced fields of one kind of counters: (event name, price, member), in the field list's order.
template <class Counters>
struct Event {
  const char* name;
  const std::optional<double>* price;
  uint64_t Counters::*count;
};

template <class Counters>
std::vector<Event<Counters>> events_of(const Prices& prices) {
  std::vector<Event<Counters>> out;
  Counters::fields([&](const CounterField& f, uint64_t Counters::*m) {
    if (!f.energy_event) return;
    const std::optional<double>* price = price_of(prices, f.energy_event);
    if (!price) throw std::logic_error(std::string("energy: no price for the counter event ") + f.energy_event);
    out.push_back({f.energy_event, price, m});
  });
  return out;
}

template <class Counters>
double component_dynamic(const Counters& x, const std::vector<Event<Counters>>& events) {
  double j = 0;
  for (const auto& e : events)
    if (*e.price) j += double(x.*e.count) * **e.price * kPj;
  return j;
}

}  // namespace

EnergyReport price_energy(const ChipCounters& c, const EnergyTable& t) {
  const Prices core_prices = {{"synop_dense", &t.synop_dense_pj},
                              {"synop_sparse", &t.synop_sparse_pj},
                              {"synop_conv", &t.synop_conv_pj},
                              {"word_read", &t.word_read_pj},
                              {"update_active", &t.update_active_pj},
                              {"update_inactive", &t.update_inactive_pj},
                              {"spike", &t.spike_pj},
                              {"message_out", &t.message_out_pj},
                              {"message_in", &t.message_in_pj}};
  const Prices router_prices = {
      {"hop_ew", &t.hop_ew_pj}, {"hop_ns", &t.hop_ns_pj}, {"chip_link", &t.chip_link_pj}, {"tile", &t.tile_pj}};
  const Prices management_prices = {{"cycle", &t.management_cycle_pj}};
  const auto core_events = events_of<CoreCounters>(core_prices);
  const auto router_events = events_of<RouterCounters>(router_prices);
  const auto management_events = events_of<ManagementCounters>(management_prices);
  EnergyReport r;
  const double seconds = c.seconds();
  // Input-FIFO entries beyond those the table's per-core figure covers are more SRAM per core, priced per entry.
  const uint32_t extra_fifo_entries = c.input_fifo_depth > t.input_fifo_depth_in_core_static
                                          ? c.input_fifo_depth - t.input_fifo_depth_in_core_static
                                          : 0;
  double fifo_static_mw = 0.0;
  if (extra_fifo_entries && t.input_fifo_entry_static_mw)
    fifo_static_mw = double(extra_fifo_entries) * *t.input_fifo_entry_static_mw;
  else if (extra_fifo_entries)
    r.unpriced.push_back("core.input_fifo_entry");
  const double core_static = (t.core_static_mw + fifo_static_mw) * 1e-3 * seconds;
  const double router_static = t.router_static_mw * 1e-3 * seconds;
  // Chip-wide: event totals times prices.
  auto totals = [&](const auto& events, const auto& comps, const char* kind, auto& out) {
    for (const auto& e : events) {
      uint64_t n = 0;
      for (const auto& x : comps) n += x.*e.count;
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
  auto gated = [&](size_t k) { return k < c.core_gated.size() && c.core_gated[k]; };
  size_t powered = 0;
  for (size_t k = 0; k < c.cores.size(); ++k) powered += !gated(k);
  r.core_static_j = core_static * double(powered);
  r.core_input_fifo_static_j = fifo_static_mw * 1e-3 * seconds * double(powered);
  r.router_static_j = router_static * double(c.routers.size());
  // The management core: its busy cycles (compute and message handling); its messages' hops are the
  // routers' events above.
  std::vector<std::pair<std::string, double>> management;
  totals(management_events, std::vector<ManagementCounters>{c.management}, "management", management);
  for (const auto& e : management) r.management_j += e.second;
  r.dynamic_j = r.core_dynamic_j + r.router_dynamic_j + r.management_j;
  r.static_j = r.core_static_j + r.router_static_j;
  r.total_j = r.dynamic_j + r.static_j;
  // Per component: its own counters.
  for (size_t k = 0; k < c.cores.size(); ++k)
    r.per_core_j.push_back(component_dynamic(c.cores[k], core_events) + (gated(k) ? 0.0 : core_static));
  for (const auto& x : c.routers) r.per_router_j.push_back(component_dynamic(x, router_events) + router_static);
  return r;
}

}  // namespace spikemesh
