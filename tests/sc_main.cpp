// Entry point of the SystemC test binaries: silences the SystemC banner before the kernel starts, then
// runs GoogleTest inside sc_main. gtest_discover_tests runs each test in its own process, because a
// process can elaborate one SystemC design only.
#include <gtest/gtest.h>

#include <systemc>

#include <cstdlib>

int sc_main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
