// Neurocore timing rules (model/core_timing.h): inactive updates, message service, FIFO servers.
#include <gtest/gtest.h>

#include "core_timing.h"

using namespace spikemesh;

TEST(CoreTiming, SanafeRuleCountsAnUpdateOnlyWhenPotentialBiasOrInputIsNonZero) {
  CompartmentState s;
  s.u = 7;  // a current left over, potential at rest: the state rule updates, SANA-FE's does not
  EXPECT_FALSE(is_inactive_update(s, 0, 0, false));
  EXPECT_TRUE(is_inactive_update(s, 0, 0, true));
  s = {};
  s.refract = 2;  // refractory, nothing else: likewise
  EXPECT_FALSE(is_inactive_update(s, 0, 0, false));
  EXPECT_TRUE(is_inactive_update(s, 0, 0, true));
  s = {};
  s.v = -1;  // any potential, input or bias: updated under both rules
  EXPECT_FALSE(is_inactive_update(s, 0, 0, true));
  EXPECT_FALSE(is_inactive_update(CompartmentState{}, 1, 0, true));
  EXPECT_FALSE(is_inactive_update(CompartmentState{}, 0, 5, true));
  EXPECT_TRUE(is_inactive_update(CompartmentState{}, 0, 0, true));
}

TEST(CoreTiming, AnUpdateIsInactiveOnlyWhenNothingCanChange) {
  CompartmentState rest;
  EXPECT_TRUE(is_inactive_update(rest, 0, 0));
  EXPECT_FALSE(is_inactive_update(rest, 1, 0));   // input arrives
  EXPECT_FALSE(is_inactive_update(rest, 0, -3));  // bias
  CompartmentState s;
  s.v = 5;
  EXPECT_FALSE(is_inactive_update(s, 0, 0));
  s = {};
  s.refract = 2;
  EXPECT_FALSE(is_inactive_update(s, 0, 0));
  // The claim behind the rule: an inactive update leaves the state at rest and does not fire.
  CompartmentParams p;
  p.du = 100;
  p.dv = 7;
  p.vth_mant = 0;
  CompartmentState x;
  const CompartmentOutput out = update_compartment(x, p, 0, 0);
  EXPECT_FALSE(out.spike);
  EXPECT_EQ(x.u, 0);
  EXPECT_EQ(x.v, 0);
  EXPECT_EQ(x.refract, 0);
}

TEST(CoreTiming, UpdateAndMessageCostsComeFromTheParams) {
  CoreParams c;                                            // Loihi 1 defaults at 2 GHz
  EXPECT_EQ(update_cycles(c, false), 17u);                 // 8.4 ns
  EXPECT_EQ(update_cycles(c, true), 11u);                  // 5.3 ns
  EXPECT_EQ(message_service_cycles(c, 0), 32u);            // input-axon lookup, 16 ns
  EXPECT_EQ(message_service_cycles(c, 10), 32u + 10 * 7);  // + 3.5 ns per synaptic op
}

TEST(CoreTiming, AFifoServerStartsWhenBothJobAndServerAreReady) {
  EXPECT_EQ(serve(100, 50, 7).start, 100u);
  EXPECT_EQ(serve(100, 50, 7).finish, 107u);
  EXPECT_EQ(serve(100, 120, 7).start, 120u);
  EXPECT_EQ(serve(100, 120, 7).finish, 127u);
}
