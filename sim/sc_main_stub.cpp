// libsystemc.so references sc_main (extern "C") from its own main(); the spikemesh program enters through
// main.cpp instead and runs the kernel with sc_start() (sim/chip_run.cpp), so this is never called.
extern "C" int sc_main(int, char**) { return 1; }
