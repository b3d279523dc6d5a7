// Run configuration (sim/config.h): values and precedence, and every kind of bad input rejected with the
// file, the line and the full key path; shipped configs load and agree with the struct defaults.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "config.h"
#include "error.h"

using namespace spikemesh;

namespace {

std::string source_path(const std::string& rel) { return std::string(SPIKEMESH_SOURCE_DIR) + "/" + rel; }

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "spikemesh_cfg_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  const std::string path = write_temp("bad.yaml", yaml);
  try {
    load_run_config(path, sets);
  } catch (const Error& e) {
    std::string m = e.what();
    const auto at = m.find(path);
    return at == std::string::npos ? m : m.replace(at, path.size(), "FILE");
  }
  return "(no error)";
}

}  // namespace

TEST(RunConfig, PrecedenceIsDefaultsThenBaseFileThenConfigThenSet) {
  const std::string base =
      write_temp("base.yaml", "core:\n  compartments: 8192\n  graded_spikes: true\nmesh:\n  routers_x: 2\n");
  const std::string cfg = write_temp(
      "run.yaml", "network: net.h5\ntimesteps: 7\nchip:\n  base: " + base + "\n  core:\n    compartments: 2048\n");
  RunConfig c = load_run_config(cfg, {});
  EXPECT_EQ(c.run.timesteps, 7u);
  EXPECT_EQ(c.chip.core.compartments, 2048u);  // config over base
  EXPECT_TRUE(c.chip.core.graded_spikes);      // from base
  EXPECT_EQ(c.chip.mesh.routers_x, 2u);        // from base
  EXPECT_EQ(c.chip.mesh.routers_y, 4u);        // default
  c = load_run_config(cfg, {"chip.core.compartments=4096", "timesteps=9", "chip.clock_mhz=1000.5"});
  EXPECT_EQ(c.chip.core.compartments, 4096u);  // --set over config
  EXPECT_EQ(c.run.timesteps, 9u);
  EXPECT_DOUBLE_EQ(c.chip.clock_mhz, 1000.5);
  EXPECT_EQ(c.network_path(), (std::filesystem::path(cfg).parent_path() / "net.h5").string());
}

TEST(RunConfig, UnknownKeysNameTheFileLineAndKeyPath) {
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  core:\n    compartmentz: 5\n"),
            "FILE:4: unknown key 'chip.core.compartmentz' (known here: compartments, input_axons, output_axons, "
            "synapse_words, graded_spikes, shared_conv_kernels, shared_output_axons, input_fifo_depth, "
            "update_active_cycles, "
            "update_inactive_cycles, synop_cycles, axon_in_cycles, axon_out_cycles, spike_out_cycles, "
            "sweep_waits_for_output, updated_by_potential)");
  EXPECT_EQ(error_of("network: n.h5\ntimestep: 5\n").substr(0, 37), "FILE:2: unknown key 'timestep' (known");
}

TEST(RunConfig, AManagementCoreOutsideTheMeshNamesTheKey) {
  EXPECT_EQ(error_of("network: n.h5\nfsddim:\n  images: 1\nchip:\n  management:\n    router_y: 4\n"),
            "FILE: chip.management.router_y = 4: outside the mesh (routers y 0..3: chips_y 1 x routers_y 4)");
  EXPECT_EQ(error_of("network: n.h5\nfsddim:\n  images: 1\n", {"chip.management.router_x=8"}),
            "FILE: chip.management.router_x = 8: outside the mesh (routers x 0..7: chips_x 1 x routers_x 8)");
  // A plain run does not use the management core, but a key naming a router off the mesh is still an error.
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  management:\n    router_x: 4095\n"),
            "FILE: chip.management.router_x = 4095: outside the mesh (routers x 0..7: chips_x 1 x routers_x 8)");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  management:\n    router_x: 7\n    router_y: 3\n"), "(no error)");
}

TEST(RunConfig, ADuplicateKeyIsAnErrorNotTheFirstValueKept) {
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: 5\ntimesteps: 7\n"),
            "FILE:3: duplicate key 'timesteps' (first at line 2): YAML keeps only one of them; remove the other");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  mesh:\n    routers_x: 2\n    routers_x: 4\n"),
            "FILE:5: duplicate key 'chip.mesh.routers_x' (first at line 4): YAML keeps only one of them; remove the "
            "other");
}

TEST(RunConfig, AComplexKeyNamesTheFileAndLine) {
  EXPECT_EQ(error_of("network: n.h5\n? [a, b]\n: 3\n"),
            "FILE:2: top level: a key must be a plain name, got a list (a complex '?' key)");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  ? {x: 1}\n  : 3\n"),
            "FILE:3: chip: a key must be a plain name, got a mapping (a complex '?' key)");
}

TEST(RunConfig, DeepNestingIsAClearErrorAtEitherLimit) {
  // 40 levels: parsed by yaml-cpp, refused by the config's own limit of 32.
  EXPECT_EQ(error_of("network: n.h5\nx: " + std::string(40, '[') + std::string(40, ']') + "\n"),
            "FILE:2: x: nested deeper than 32 levels (config keys nest at most 3 levels, e.g. chip.core.compartments)");
  // 100,000 levels: refused by yaml-cpp's depth guard before any recursion can exhaust the stack.
  EXPECT_EQ(error_of("network: n.h5\nx: " + std::string(100000, '[') + std::string(100000, ']') + "\n"),
            "FILE:2: nested deeper than the YAML parser allows (500 levels; config keys nest at most 3 levels, e.g. "
            "chip.core.compartments)");
}

TEST(RunConfig, ABillionLaughsOfAliasesIsCheckedOnceNotExpanded) {
  // 20 levels of 10 aliases each: 10^20 paths through a 2 KB file. Each node is checked once, so the unknown key
  // is reported at once, where walking every path never returned.
  std::string yaml = "network: n.h5\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of(yaml).substr(0, 27), "FILE:2: unknown key 'a0' (k");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  // An aliased mapping is still checked: its duplicate key is found (once) however it is reached.
  EXPECT_EQ(error_of("network: n.h5\nx: &m {b: 1, b: 2}\ny: [*m, *m]\n"),
            "FILE:2: duplicate key 'x.b' (first at line 2): YAML keeps only one of them; remove the other");
  // An anchor that contains its own alias is a cycle, walked once.
  EXPECT_EQ(error_of("network: n.h5\nx: &c [*c]\n").substr(0, 26), "FILE:2: unknown key 'x' (k");
}

TEST(RunConfig, AWatchdogNotAboveTheLongestSingleLatencyIsAnError) {
  // Two chips: a flit on the 200-cycle chip link makes no progress for 200 cycles.
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  watchdog_cycles: 150\n  mesh:\n    chips_x: 2\n"),
            "FILE: chip.watchdog_cycles = 150 is not above the longest single latency, chip.router.chip_link_cycles = "
            "200: a flit in flight would be reported as a deadlock; set chip.watchdog_cycles above 200");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  watchdog_cycles: 201\n  mesh:\n    chips_x: 2\n"), "(no error)");
  // One chip has no chip link: the longest is the 13-cycle north-south hop (boundary: 13 refused, 14 accepted).
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  watchdog_cycles: 150\n"), "(no error)");
  EXPECT_EQ(error_of("network: n.h5\n", {"chip.watchdog_cycles=13"}),
            "FILE: chip.watchdog_cycles = 13 is not above the longest single latency, chip.router.hop_ns_cycles = 13: "
            "a flit in flight would be reported as a deadlock; set chip.watchdog_cycles above 13");
  EXPECT_EQ(error_of("network: n.h5\n", {"chip.watchdog_cycles=14"}), "(no error)");
}

TEST(RunConfig, WrongTypesAndOutOfRangeValuesAreErrors) {
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: abc\n"),
            "FILE:2: timesteps: expected an integer in [1, 1073741824], got 'abc'");
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: 1.5\n"),
            "FILE:2: timesteps: expected an integer in [1, 1073741824], got '1.5'");
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: -3\n"),
            "FILE:2: timesteps: expected an integer in [1, 1073741824], got '-3'");
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: 0\n"),
            "FILE:2: timesteps: expected an integer in [1, 1073741824], got '0'");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  mesh:\n    cores_per_router: 17\n"),
            "FILE:4: chip.mesh.cores_per_router: expected an integer in [1, 16], got '17' (out of range)");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  core:\n    graded_spikes: yes\n"),
            "FILE:4: chip.core.graded_spikes: expected true or false, got 'yes'");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  clock_mhz: 0\n"),
            "FILE:3: chip.clock_mhz: expected a number in [1, 1e+06], got 0 (out of range)");
  EXPECT_EQ(error_of("network: n.h5\nchip:\n  mesh: 4\n"), "FILE:3: chip.mesh: expected a mapping of keys");
  EXPECT_EQ(error_of("network: [a, b]\n"), "FILE:1: network: expected a string, got a list");
  EXPECT_EQ(error_of("timesteps: 4\n"), "FILE: network: a network file is required (key 'network')");
  EXPECT_EQ(error_of("network: n.h5\ntimesteps: [\n").substr(0, 26), "FILE:3: YAML syntax error:");
}

TEST(RunConfig, SetArgumentsAreValidatedLikeFileKeys) {
  const std::string ok = "network: n.h5\n";
  EXPECT_EQ(
      error_of(ok, {"chip.core.compartmentz=3"}),
      "--set chip.core.compartmentz=3: unknown key 'chip.core.compartmentz' (see `spikemesh run --help` for the keys)");
  EXPECT_EQ(
      error_of(ok, {"chip.router.hop_ew_cycles=0"}),
      "--set chip.router.hop_ew_cycles=0: chip.router.hop_ew_cycles: expected an integer in [1, 1048576], got '0'");
  EXPECT_EQ(error_of(ok, {"timesteps"}), "--set timesteps: expected key=value (e.g. chip.core.compartments=2048)");
  EXPECT_EQ(error_of(ok, {"chip.mesh=3"}),
            "--set chip.mesh=3: unknown key 'chip.mesh' (see `spikemesh run --help` for the keys)");
}

TEST(RunConfig, TheEffectiveConfigReloadsToTheSameValues) {
  const std::string cfg =
      write_temp("eff.yaml", "network: n.h5\nstimulus: random\nseed: 4\nchip:\n  base: " +
                                 source_path("configs/chip_loihi2.yaml") + "\n  mesh:\n    chips_x: 2\n");
  const RunConfig a = load_run_config(cfg, {"chip.router.chip_link_cycles=77"});
  const std::string dump = dump_run_config(a);
  const RunConfig b = load_run_config(write_temp("eff2.yaml", dump), {});
  EXPECT_EQ(dump_run_config(b), dump);
  EXPECT_EQ(b.chip.router.chip_link_cycles, 77u);
  EXPECT_EQ(b.chip.mesh.chips_x, 2u);
  EXPECT_EQ(b.chip.core.compartments, 8192u);
  EXPECT_EQ(b.run.stimulus, "random");
}

TEST(RunConfig, ShippedChipConfigsLoadAndLoihi1EqualsTheStructDefaults) {
  const ChipParams l1 = load_chip_config(source_path("configs/chip_loihi1.yaml"), {});
  RunConfig x, y;
  x.run.network = y.run.network = "/n.h5";
  x.chip = l1;
  EXPECT_EQ(dump_run_config(x), dump_run_config(y)) << "configs/chip_loihi1.yaml and model/chip_params.h disagree";
  const ChipParams l2 = load_chip_config(source_path("configs/chip_loihi2.yaml"), {});
  EXPECT_EQ(l2.core.compartments, 8192u);
  EXPECT_TRUE(l2.core.graded_spikes);
  EXPECT_TRUE(l2.core.shared_conv_kernels);
  EXPECT_EQ(l2.core.update_active_cycles, 8u);
  const ChipParams b = load_chip_config(source_path("configs/chip_bench100k.yaml"), {"core.input_axons=7"});
  EXPECT_EQ(b.core.input_axons, 7u);
  EXPECT_EQ(load_run_config(source_path("configs/example_run.yaml"), {}).chip.core.compartments, 64u);
}

TEST(EnergyTable, ShippedTablesCarryTheirSourcesNumbers) {
  const EnergyTable d = load_energy_table(source_path("configs/energy/davies2018.yaml"));
  EXPECT_EQ(d.name, "davies2018");
  EXPECT_DOUBLE_EQ(*d.synop_sparse_pj, 23.6);
  EXPECT_DOUBLE_EQ(*d.update_active_pj, 81.0);
  EXPECT_DOUBLE_EQ(*d.update_inactive_pj, 52.0);
  EXPECT_DOUBLE_EQ(*d.hop_ew_pj, 3.0);
  EXPECT_DOUBLE_EQ(*d.hop_ns_pj, 4.0);
  EXPECT_DOUBLE_EQ(*d.tile_pj, 1.7);
  EXPECT_FALSE(d.spike_pj.has_value());
  EXPECT_FALSE(d.management_cycle_pj.has_value());  // no public figure: the management core stays unpriced
  EXPECT_DOUBLE_EQ(d.core_static_mw, 0.8125);
  const EnergyTable s = load_energy_table(source_path("configs/energy/sanafe_loihi.yaml"));
  EXPECT_DOUBLE_EQ(*s.synop_dense_pj, 35.5);
  EXPECT_DOUBLE_EQ(*s.synop_sparse_pj, 33.6);
  EXPECT_DOUBLE_EQ(*s.synop_conv_pj, 24.0);
  EXPECT_DOUBLE_EQ(*s.update_active_pj, 72.8);
  EXPECT_DOUBLE_EQ(*s.message_out_pj, 111.0);
  EXPECT_DOUBLE_EQ(*s.hop_ns_pj, 4.2);
  EXPECT_FALSE(s.management_cycle_pj.has_value());
  const std::string bad = write_temp("energy.yaml", "name: x\nsource: y\nevent_pj:\n  synop: 1.0\n");
  try {
    load_energy_table(bad);
    FAIL() << "unknown energy key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":4: unknown key 'event_pj.synop'"), std::string::npos) << e.what();
  }
}
