// Mesh router; see router.h for the timing contract.
#include "router.h"

#include <algorithm>
#include <sstream>

#include "tracer.h"

namespace spikemesh {

Router::Router(sc_core::sc_module_name name, uint32_t x, uint32_t y, const MeshGeometry& geometry,
               const RouterParams& params, CycleScheduler& scheduler, FlitPool& pool, bool management_port)
    : sc_module(name),
      x_(x),
      y_(y),
      geo_(geometry),
      params_(params),
      scheduler_(scheduler),
      pool_(pool),
      nports_(geometry.ports() + (management_port ? 1 : 0)),
      inputs_(nports_),
      outputs_(nports_) {
  id_ = scheduler_.add(this);
  for (uint32_t p = 0; p < nports_; ++p) {
    inputs_[p].router = this;
    inputs_[p].port = p;
    outputs_[p].router = this;
    outputs_[p].link = p < kPortLocal0 ? geo_.link(x, y, p) : LinkKind::Eject;
    outputs_[p].latency = link_latency_cycles(params_, outputs_[p].link);
  }
}

void Router::connect_output(uint32_t port, FlitReceiver* downstream, uint32_t credits, bool unlimited) {
  outputs_[port].downstream = downstream;
  outputs_[port].credit = CreditCounter(credits, unlimited);
}

void Router::connect_link(uint32_t port, Router& next, uint32_t next_port, uint32_t credits) {
  outputs_[port].next = &next;
  outputs_[port].next_port = next_port;
  outputs_[port].credit = CreditCounter(credits);
}

void Router::connect_input_credit(uint32_t port, CreditReturn* upstream) { inputs_[port].upstream = upstream; }

void Router::OutputPort::give_back(uint64_t usable_at) {
  credit.give_back(usable_at);
  if (blocked) router->scheduler_.wake(router->id_, usable_at);
}

void Router::InputPort::receive(const Flit& f, uint64_t arrival_cycle) {
  router->accept(port, router->pool_.put(f), pack_address(f.dest_x, f.dest_y, f.dest_local), arrival_cycle);
}

void Router::accept(uint32_t port, uint32_t flit, uint32_t address, uint64_t ready) {
  InputPort& in = inputs_[port];
  in.fifo.push({ready, flit, address});
  if (tracer_) tracer_->add(sig_in_[port], ready, 1);
  if (port < kPortLocal0) counters_.peak_buffer_flits = std::max<uint64_t>(counters_.peak_buffer_flits, in.fifo.size());
  if (in.fifo.size() == 1) {
    nonempty_ |= 1u << port;
    eligible_at_[port] = ready;
    head_out_[port] = static_cast<uint8_t>(route(address));
    scheduler_.wake(id_, ready);
  }
}

void Router::inject(uint32_t local, const Flit& f, uint64_t ready_cycle) {
  accept(kPortLocal0 + local, pool_.put(f), pack_address(f.dest_x, f.dest_y, f.dest_local), ready_cycle);
}

void Router::step(uint64_t now) {
  // Requests: each input offers its head flit once it is eligible.
  uint32_t requests[32];  // per output: the inputs requesting it (valid where requested_outputs has its bit)
  uint32_t requested_outputs = 0;
  for (uint32_t m = nonempty_; m; m &= m - 1) {
    const uint32_t p = static_cast<uint32_t>(__builtin_ctz(m));
    if (eligible_at_[p] > now) continue;
    const uint32_t o = head_out_[p];
    if (!(requested_outputs & (1u << o))) requests[o] = 0;
    requests[o] |= 1u << p;
    requested_outputs |= 1u << o;
  }
  for (uint32_t m = requested_outputs; m; m &= m - 1) {
    const uint32_t o = static_cast<uint32_t>(__builtin_ctz(m));
    OutputPort& out = outputs_[o];
    if (!out.credit.available(now)) {
      // Back-pressure: sleep until a credit becomes usable (one already on its way, or a later give_back).
      out.blocked = true;
      const uint64_t next = out.credit.next_return();
      if (next != ~uint64_t{0}) scheduler_.wake(id_, next);
      continue;
    }
    out.blocked = false;
    const int g = round_robin(requests[o], out.last_grant, nports_);
    out.last_grant = g;
    InputPort& in = inputs_[static_cast<uint32_t>(g)];
    const Arrival a = in.fifo.front();
    counters_.stall_cycles += now - eligible_at_[g];
    in.fifo.pop();
    if (!in.fifo.empty()) {
      const Arrival& head = in.fifo.front();
      eligible_at_[g] = std::max(head.ready, now + 1);
      head_out_[g] = static_cast<uint8_t>(route(head.address));
    } else {
      nonempty_ &= ~(1u << static_cast<uint32_t>(g));
    }
    if (in.upstream) in.upstream->give_back(now + 1);
    if (tracer_) {
      tracer_->add(sig_in_[static_cast<uint32_t>(g)], now + 1, -1);
      tracer_->pulse(sig_out_[o], now);
    }
    out.credit.consume();
    ++counters_.flits;
    last_grant_cycle_ = now;
    if (static_cast<uint32_t>(g) >= kPortLocal0) ++counters_.injected;
    switch (out.link) {
      case LinkKind::EastWest:
        ++counters_.hops_ew;
        break;
      case LinkKind::NorthSouth:
        ++counters_.hops_ns;
        break;
      case LinkKind::ChipEastWest:
      case LinkKind::ChipNorthSouth:
        ++counters_.hops_chip;
        break;
      case LinkKind::Eject:
        ++counters_.ejected;
        break;
    }
    if (out.next) {
      out.next->accept(out.next_port, a.flit, a.address, now + out.latency);
    } else {
      const Flit f = pool_[a.flit];  // a copy: receive() may cause new flits to enter the pool
      pool_.release(a.flit);
      out.downstream->receive(f, now + out.latency);
    }
  }
  // Sleep until a head flit is (still) eligible: next cycle after losing arbitration, its arrival, or,
  // when its output waits for a credit, the credit's return (woken by give_back / next_return above).
  uint64_t next = ~uint64_t{0};
  for (uint32_t m = nonempty_; m; m &= m - 1) {
    const uint32_t p = static_cast<uint32_t>(__builtin_ctz(m));
    if (eligible_at_[p] > now)
      next = std::min(next, eligible_at_[p]);
    else if (!outputs_[head_out_[p]].blocked)
      next = std::min(next, now + 1);
  }
  if (next != ~uint64_t{0}) scheduler_.wake(id_, next);
}

std::string Router::port_label(uint32_t port) const {
  static const char* mesh[] = {"N", "E", "S", "W"};
  if (port == kPortLocal0 + geo_.cores_per_router) return "M";
  return port < kPortLocal0 ? mesh[port] : "L" + std::to_string(port - kPortLocal0);
}

void Router::attach_tracer(Tracer& tracer, const std::vector<uint64_t>& flits_in,
                           const std::vector<uint64_t>& flits_out) {
  tracer_ = &tracer;
  const std::string n = name();
  sig_in_.assign(nports_, Tracer::kNone);
  sig_out_.assign(nports_, Tracer::kNone);
  for (uint32_t p = 0; p < nports_; ++p) {
    // A mesh port without a neighbour never carries a flit: not declared.
    if (p < kPortLocal0 && !geo_.has_neighbour(x_, y_, p)) continue;
    sig_in_[p] = tracer.declare(n + ".in_" + port_label(p) + "_occupancy", Tracer::Kind::Count, 2 * flits_in[p]);
    sig_out_[p] = tracer.declare(n + ".out_" + port_label(p) + "_busy", Tracer::Kind::Wire, 2 * flits_out[p]);
  }
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
    os << " "
       << (p == kPortLocal0 + geo_.cores_per_router
               ? std::string("management")
               : port_name(p) + (p >= kPortLocal0 ? std::to_string(p - kPortLocal0) : ""))
       << " holds " << in.fifo.size() << " flit(s), head to " << port_name(head_out_[p]) << " ("
       << pool_[in.fifo.front().flit] << ")";
  }
  return os.str();
}

}  // namespace spikemesh
