// Critical-path arithmetic (model/critical_path.h) on recorded events worked by hand, no simulation kernel.
// Router latencies (model/chip_params.h defaults): inject 2, east-west hop 8, north-south hop 13, eject 2,
// chip-to-chip link 200.
#include <gtest/gtest.h>

#include <string>

#include "critical_path.h"
#include "error.h"

using namespace spikemesh;

namespace {

// Expects `f` to throw an Error whose message contains `part`.
template <class F>
void expect_error(F&& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// Two chips side by side, each 2 x 3 routers, one core per router: core = y * 4 + x (global row-major).
// Core 0 is router (0, 0); core 10 is router (2, 2), on the second chip. The XY path 0 -> 10: east to (1, 0)
// (on-chip, 8), east to (2, 0) across the chip boundary (200), south twice (2 x 13); plus inject 2, eject 2.
const MeshGeometry kTwoChips{2, 1, 2, 3, 1};

ComputeEvents dendrite_bound_step() {
  ComputeEvents e;
  e.timestep = 4;
  e.start = 1000;
  e.barrier = 586;
  // Core 0 sweeps until 1050, when its first spike starts the output stage; the critical message leaves
  // the output stage at 1070, waits 15 cycles in core 0's output queue, loses 7 cycles to arbitration on
  // its path and arrives at core 10 at 1070 + 238 + 15 + 7 = 1330, finding the dendrite unit idle; three
  // messages of 32 + 7 cycles each keep it busy until 1447, the quiet cycle.
  e.quiet = 1447;
  e.done.assign(12, 1100);
  e.done[10] = 1447;
  e.dendrite_free = 1447;
  e.output_free = 1200;
  e.dendrite_busy = {1330, 1070, 0, 15};
  return e;
}

}  // namespace

TEST(CriticalPathArithmetic, DendriteBoundStepSplitsTheCriticalMessagesJourney) {
  const ComputeEvents e = dendrite_bound_step();
  const StepAttribution a = attribute_compute(e, kTwoChips, RouterParams{}, [](uint32_t core, uint64_t cycle) {
    EXPECT_EQ(core, 0u);  // the source's output stage, at the critical message's emission
    EXPECT_EQ(cycle, 1070u);
    return uint64_t{1050};
  });
  EXPECT_EQ(a.bounding_core, 10u);
  EXPECT_EQ(a.source_core, 0u);
  EXPECT_EQ(a.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(a.sweep, 50u);
  EXPECT_EQ(a.output, 20u);
  EXPECT_EQ(a.output_queue, 15u);
  EXPECT_EQ(a.mesh, 2u + 8 + 2 * 13 + 2);
  EXPECT_EQ(a.chip_link, 200u);
  EXPECT_EQ(a.router_stall, 7u);
  EXPECT_EQ(a.dendrite, 3u * 39);
  EXPECT_EQ(a.barrier, 586u);
  EXPECT_EQ(a.management_compute + a.management_write + a.management_read, 0u);
  EXPECT_EQ(a.total(), 447u + 586);
  EXPECT_NO_THROW(check_attribution(a, 4, 1033));
}

// Core 2's output stage finishes last: its busy period began at 60 (the sweep's first spike) and ended at
// 90; its dendrite unit was done at 40.
TEST(CriticalPathArithmetic, OutputBoundStepIsOutputBackToItsBusyPeriodThenSweep) {
  ComputeEvents e;
  e.start = 0;
  e.quiet = 90;
  e.barrier = 300;
  e.done = {40, 55, 90};
  e.dendrite_free = 40;
  e.output_free = 90;
  const StepAttribution a =
      attribute_compute(e, MeshGeometry{1, 1, 3, 1, 1}, RouterParams{}, [](uint32_t core, uint64_t cycle) {
        EXPECT_EQ(core, 2u);
        EXPECT_EQ(cycle, 90u);
        return uint64_t{60};
      });
  EXPECT_EQ(a.bounding_core, 2u);
  EXPECT_EQ(a.source_core, 2u);
  EXPECT_EQ(a.unit, BoundingUnit::Output);
  EXPECT_EQ(a.output, 30u);
  EXPECT_EQ(a.sweep, 60u);
  EXPECT_EQ(a.dendrite + a.mesh + a.chip_link + a.output_queue + a.router_stall, 0u);
  EXPECT_EQ(a.total(), 390u);
}

// No messages: the active update of core 1 (17 cycles) outlasts the inactive ones (11); core 2 ties with
// it and the lower index bounds.
TEST(CriticalPathArithmetic, SweepBoundStepIsAllSweepAndTheLowestCoreBoundsATie) {
  ComputeEvents e;
  e.start = 500;
  e.quiet = 517;
  e.barrier = 586;
  e.done = {511, 517, 517};
  const StepAttribution a =
      attribute_compute(e, MeshGeometry{1, 1, 3, 1, 1}, RouterParams{}, [](uint32_t, uint64_t) -> uint64_t {
        ADD_FAILURE() << "a sweep-bound step looks up no output stage";
        return 0;
      });
  EXPECT_EQ(a.bounding_core, 1u);
  EXPECT_EQ(a.unit, BoundingUnit::Sweep);
  EXPECT_EQ(a.sweep, 17u);
  EXPECT_EQ(a.total(), 17u + 586);
}

// The dendrite unit and the output stage both finish at the quiet cycle: the dendrite unit bounds.
TEST(CriticalPathArithmetic, TheDendriteUnitWinsATieWithTheOutputStage) {
  ComputeEvents e = dendrite_bound_step();
  e.output_free = e.quiet;
  const StepAttribution a = attribute_compute(e, kTwoChips, RouterParams{}, [](uint32_t, uint64_t) { return 1050; });
  EXPECT_EQ(a.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(a.dendrite, 117u);
}

TEST(CriticalPathArithmetic, PhasesThatDoNotAddUpAreAnErrorNamingTheTimestep) {
  StepAttribution a;
  a.sweep = 17;
  a.barrier = 586;
  a.management_read = 100;
  EXPECT_NO_THROW(check_attribution(a, 3, 703));
  expect_error([&] { check_attribution(a, 3, 704); }, "timestep 3 lasted 704 cycles but its phases add up to 703");
}

TEST(CriticalPathArithmetic, EventsTheWalkCannotExplainAreErrors) {
  const auto lookup = [](uint32_t, uint64_t) { return uint64_t{1050}; };
  ComputeEvents none = dendrite_bound_step();
  none.quiet = 1448;  // no core finished then
  expect_error([&] { attribute_compute(none, kTwoChips, RouterParams{}, lookup); },
               "timestep 4 went quiet at cycle 1448 but no core finished then");
  ComputeEvents early = dendrite_bound_step();
  early.dendrite_busy.since = 999;  // the busy period began in the previous timestep
  expect_error([&] { attribute_compute(early, kTwoChips, RouterParams{}, lookup); },
               "core_10's dendrite busy period at cycle 1447 did not start with a message of this timestep");
  ComputeEvents fast = dendrite_bound_step();
  fast.dendrite_busy.queued = 23;  // 1070 + 238 + 23 > 1330: faster than zero load
  expect_error([&] { attribute_compute(fast, kTwoChips, RouterParams{}, lookup); },
               "a message arrived at core_10 before its zero-load latency");
}

// chip.management.overlap_writes: a management write sent while the timestep computes is the critical
// message. One chip of 4 x 3 routers, the management core on router (0, 0) (source id 12, one past the
// last core); core 10 is router (2, 2): zero load 2 + 2 x 8 + 2 x 13 + 2 = 46. The management core began
// sending at the timestep's start (500) and handed the critical write over at 502; it waited 3 cycles at
// the router's local port, lost 5 to arbitration and arrived at 502 + 46 + 3 + 5 = 556; three writes of
// 32 cycles each keep core 10's dendrite unit busy until 652.
TEST(CriticalPathArithmetic, ACriticalManagementWriteIsManagementWriteThenItsJourney) {
  ComputeEvents e;
  e.start = 500;
  e.quiet = 652;
  e.barrier = 294;
  e.done.assign(12, 533);
  e.done[10] = 652;
  e.dendrite_free = 652;
  e.output_free = 510;
  e.dendrite_busy = {556, 502, 12, 3};
  e.management_id = 12;
  e.management_place = {0, 0, 1};
  const StepAttribution a =
      attribute_compute(e, MeshGeometry{1, 1, 4, 3, 1}, RouterParams{}, [](uint32_t, uint64_t) -> uint64_t {
        ADD_FAILURE() << "a management write has no output stage";
        return 0;
      });
  EXPECT_EQ(a.unit, BoundingUnit::Dendrite);
  EXPECT_EQ(a.bounding_core, 10u);
  EXPECT_EQ(a.source_core, 12u);
  EXPECT_EQ(a.management_write, 2u);
  EXPECT_EQ(a.mesh, 46u);
  EXPECT_EQ(a.output_queue, 3u);
  EXPECT_EQ(a.router_stall, 5u);
  EXPECT_EQ(a.dendrite, 96u);
  EXPECT_EQ(a.sweep + a.output + a.chip_link, 0u);
  EXPECT_EQ(a.total(), 152u + 294);
  // Without a management core in the events, the same source id is no core: an error.
  e.management_id = StepAttribution::kNoCore;
  expect_error(
      [&] {
        attribute_compute(e, MeshGeometry{1, 1, 4, 3, 1}, RouterParams{}, nullptr);
      },
      "did not start with a message of this timestep");
}
