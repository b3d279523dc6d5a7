// Router testbench: Sources on every input (mesh ports through credits, local ports unbounded) -> one
// router -> Sinks on every output with seeded random back-pressure. The scoreboard is fed by the pure
// model (route_xy, link latencies): every flit arrives once, at the predicted port, in order per
// input/output pair, one per link per cycle, never overfilling a sink, and the counters (flits, hops,
// injected, ejected, stall cycles) equal what the arrivals imply.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "router.h"
#include "testbench.h"

using namespace spikemesh;
using namespace spikemesh::testing;

namespace {

void run_testbench(uint64_t seed, uint32_t buffer, uint32_t flits_per_source) {
  const MeshGeometry g{1, 1, 3, 3, 2};  // the router under test sits in the middle, (1, 1)
  RouterParams rp;
  rp.input_buffer_flits = buffer;
  CycleScheduler scheduler("scheduler");
  FlitPool pool;
  Router router("router", 1, 1, g, rp, scheduler, pool);
  const uint32_t ports = g.ports();
  std::vector<MeshGeometry::CorePlace> dests;
  for (uint32_t y = 0; y < 3; ++y)
    for (uint32_t x = 0; x < 3; ++x)
      for (uint32_t l = 0; l < 2; ++l) dests.push_back({x, y, l});
  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<uint32_t> out_latency(ports);
  for (uint32_t p = 0; p < ports; ++p) {
    sinks.push_back(std::make_unique<Sink>(1 + (p + seed) % 3, p % 2 ? 4 : 0, 6, seed * 100 + p));
    router.connect_output(p, sinks[p].get(), sinks[p]->capacity());
    sinks[p]->connect(router.output_credit(p));
    out_latency[p] = link_latency_cycles(rp, p < kPortLocal0 ? g.link(1, 1, p) : LinkKind::Eject);
  }
  std::vector<std::unique_ptr<Source>> sources;
  std::vector<uint32_t> in_latency(ports);
  for (uint32_t p = 0; p < ports; ++p) {
    in_latency[p] = p < kPortLocal0 ? link_latency_cycles(rp, g.link(1, 1, p)) : rp.inject_cycles;
    const std::string n = "source_" + std::to_string(p);
    sources.push_back(std::make_unique<Source>(n.c_str(), router, p, buffer, in_latency[p], flits_per_source, 3,
                                               seed * 1000 + p, dests));
  }
  sc_core::sc_start();

  // Scoreboard.
  struct Seen {
    uint32_t port;
    uint64_t cycle;
  };
  std::map<uint64_t, Seen> received;
  for (uint32_t p = 0; p < ports; ++p) {
    uint64_t last = 0;
    bool first = true;
    const Sink& s = *sinks[p];
    for (size_t k = 0; k < s.arrivals.size(); ++k) {
      const auto& a = s.arrivals[k];
      EXPECT_TRUE(received.emplace(a.flit.id, Seen{p, a.cycle}).second) << "flit delivered twice: " << a.flit;
      if (!first) {
        EXPECT_GT(a.cycle, last) << "two flits on one link in one cycle at port " << p;
      }
      first = false;
      last = a.cycle;
      // Occupancy: slots reserved (granted, not yet consumed + 1) at this flit's grant.
      const uint64_t grant = a.cycle - out_latency[p];
      uint32_t held = 0;
      for (size_t j = 0; j <= k; ++j)
        if (s.consumed_at[j] + 1 > grant) ++held;
      EXPECT_LE(held, s.capacity()) << "sink at port " << p << " overfilled at cycle " << grant;
    }
  }
  uint64_t total = 0, from_local = 0, to_local = 0, ew = 0, ns = 0, stall = 0;
  for (uint32_t p = 0; p < ports; ++p) {
    const auto& sent = sources[p]->sent;
    ASSERT_EQ(sent.size(), flits_per_source);
    std::map<uint32_t, uint64_t> last_by_out;  // arrival order per (input, output)
    uint64_t prev_grant = 0;
    for (size_t k = 0; k < sent.size(); ++k) {
      const Flit& f = sent[k].flit;
      auto it = received.find(f.id);
      ASSERT_NE(it, received.end()) << "flit lost: " << f;
      const uint32_t expected = route_xy(1, 1, {f.dest_x, f.dest_y, f.dest_local});
      EXPECT_EQ(it->second.port, expected) << f;
      const uint64_t grant = it->second.cycle - out_latency[expected];
      const uint64_t eligible = std::max(sent[k].cycle + in_latency[p], k ? prev_grant + 1 : 0);
      EXPECT_GE(grant, eligible) << f;
      stall += grant - eligible;
      prev_grant = grant;
      if (last_by_out.count(expected)) {
        EXPECT_GT(it->second.cycle, last_by_out[expected]) << "reordered: " << f;
      }
      last_by_out[expected] = it->second.cycle;
      ++total;
      if (p >= kPortLocal0) ++from_local;
      if (expected >= kPortLocal0) ++to_local;
      if (expected == kPortEast || expected == kPortWest) ++ew;
      if (expected == kPortNorth || expected == kPortSouth) ++ns;
    }
  }
  EXPECT_EQ(received.size(), total);
  const RouterCounters& c = router.counters();
  EXPECT_EQ(c.flits, total);
  EXPECT_EQ(c.injected, from_local);
  EXPECT_EQ(c.ejected, to_local);
  EXPECT_EQ(c.hops_ew, ew);
  EXPECT_EQ(c.hops_ns, ns);
  EXPECT_EQ(c.hops_chip, 0u);
  EXPECT_EQ(c.stall_cycles, stall);
  EXPECT_GT(stall, 0u);  // the back-pressure did bite
  EXPECT_LE(c.peak_buffer_flits, buffer);
  EXPECT_EQ(router.buffered_flits(), 0u);
  EXPECT_EQ(pool.live(), 0u);  // every flit that entered left
}

}  // namespace

TEST(RouterTestbench, Seed1Buffer4) { run_testbench(1, 4, 300); }
TEST(RouterTestbench, Seed2Buffer1) { run_testbench(2, 1, 200); }
TEST(RouterTestbench, Seed3Buffer16) { run_testbench(3, 16, 400); }
