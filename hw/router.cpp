// Mesh router; see router.h for the timing contract.
#include "router.h"

#include <algorithm>
#include <sstream>

namespace spikemesh {

Router::Router(sc_core::sc_module_name name, uint32_t x, uint32_t y, const MeshGeometry& geometry,
               const RouterParams& params, CycleScheduler& scheduler)
    : sc_module(name), x_(x), y_(y), geo_(geometry), params_(params), scheduler_(scheduler), nports_(geometry.ports()),
      inputs_(geometry.ports()), outputs_(geometry.ports()) {
  id_ = scheduler_.add(this);
  for (uint32_t p = 0; p < nports_; ++p) {
    inputs_[p].router = this;
    inputs_[p].port = p;
    outputs_[p].link = p < kPortLocal0 ? geo_.link(x, y, p) : LinkKind::Eject;
    outputs_[p].latency = link_latency_cycles(params_, outputs_[p].link);
  }
}

void Router::connect_output(uint32_t port, FlitReceiver* downstream, uint32_t credits, bool unlimited) {
  outputs_[port].downstream = downstream;
  outputs_[port].credit = CreditCounter(credits, unlimited);
}

void Router::connect_input_credit(uint32_t port, CreditCounter* upstream) { inputs_[port].upstream = upstream; }

void Router::InputPort::receive(const Flit& f, uint64_t arrival_cycle) { router->accept(port, f, arrival_cycle); }

void Router::accept(uint32_t port, const Flit& f, uint64_t ready) {
  InputPort& in = inputs_[port];
  in.fifo.push({f, ready, route_xy(x_, y_, {f.dest_x, f.dest_y, f.dest_local})});
  if (port < kPortLocal0) counters_.peak_buffer_flits = std::max<uint64_t>(counters_.peak_buffer_flits, in.fifo.size());
  if (in.fifo.size() == 1) scheduler_.wake(id_, ready);
}

void Router::inject(uint32_t local, const Flit& f, uint64_t ready_cycle) { accept(kPortLocal0 + local, f, ready_cycle); }

void Router::step(uint64_t now) {
  // Requests: each input offers its head flit once it is eligible.
  uint32_t requests[32] = {};
  uint32_t requested_outputs = 0;
  for (uint32_t p = 0; p < nports_; ++p) {
    const InputPort& in = inputs_[p];
    if (in.fifo.empty() || in.fifo.front().ready > now) continue;
    const uint32_t o = in.fifo.front().out;
    requests[o] |= 1u << p;
    requested_outputs |= 1u << o;
  }
  for (uint32_t o = 0; o < nports_; ++o) {
    if (!(requested_outputs & (1u << o))) continue;
    OutputPort& out = outputs_[o];
    const uint32_t req = requests[o];
    if (!out.credit.available(now)) {
      counters_.stall_cycles += static_cast<uint64_t>(__builtin_popcount(req));
      continue;
    }
    const int g = round_robin(req, out.last_grant, nports_);
    counters_.stall_cycles += static_cast<uint64_t>(__builtin_popcount(req) - 1);
    out.last_grant = g;
    InputPort& in = inputs_[static_cast<uint32_t>(g)];
    const Flit f = in.fifo.front().flit;
    in.fifo.pop();
    if (in.upstream) in.upstream->give_back(now + 1);
    out.credit.consume();
    ++counters_.flits;
    last_grant_cycle_ = now;
    if (static_cast<uint32_t>(g) >= kPortLocal0) ++counters_.injected;
    switch (out.link) {
      case LinkKind::EastWest: ++counters_.hops_ew; break;
      case LinkKind::NorthSouth: ++counters_.hops_ns; break;
      case LinkKind::ChipEastWest:
      case LinkKind::ChipNorthSouth: ++counters_.hops_chip; break;
      case LinkKind::Eject: ++counters_.ejected; break;
    }
    out.downstream->receive(f, now + out.latency);
  }
  // Sleep until the next head flit is eligible; poll next cycle while an eligible one waits.
  uint64_t next = ~uint64_t{0};
  for (uint32_t p = 0; p < nports_; ++p) {
    const InputPort& in = inputs_[p];
    if (in.fifo.empty()) continue;
    next = std::min(next, std::max(in.fifo.front().ready, now + 1));
  }
  if (next != ~uint64_t{0}) scheduler_.wake(id_, next);
}

uint64_t Router::buffered_flits() const {
  uint64_t n = 0;
  for (const auto& in : inputs_) n += in.fifo.size();
  return n;
}

std::string Router::describe_state() const {
  std::ostringstream os;
  os << name() << ":";
  for (uint32_t p = 0; p < nports_; ++p) {
    const InputPort& in = inputs_[p];
    if (in.fifo.empty()) continue;
    os << " " << port_name(p) << (p >= kPortLocal0 ? std::to_string(p - kPortLocal0) : "") << " holds " << in.fifo.size()
       << " flit(s), head to " << port_name(in.fifo.front().out) << " (" << in.fifo.front().flit << ")";
  }
  return os.str();
}

}  // namespace spikemesh
