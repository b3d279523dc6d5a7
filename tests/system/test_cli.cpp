// `spikemesh run` end to end (the program, as a user runs it): outputs written, raster equal to the
// reference simulator's, same bytes on a second run, bad input rejected with a message and status 1.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "network_file.h"
#include "reference_sim.h"

namespace fs = std::filesystem;
using namespace spikemesh;

namespace {

struct Cli {
  fs::path dir;
  Cli() {
    dir = fs::path(::testing::TempDir()) / ("spikemesh_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Cli() { fs::remove_all(dir); }
  // Runs the program; returns its exit status and puts stdout + stderr in `out`.
  int run(const std::string& args, std::string& out) const {
    const fs::path log = dir / "log.txt";
    const std::string cmd = std::string(SPIKEMESH_BINARY) + " " + args + " > " + log.string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

std::string run_config(const std::string& extra = "") {
  return "network: ex/network.h5\nstimulus: ex/stimulus.h5\nenergy: " + std::string(SPIKEMESH_SOURCE_DIR) +
         "/configs/energy/sanafe_loihi.yaml\ntimesteps: 12\nchip:\n  base: " + SPIKEMESH_SOURCE_DIR +
         "/configs/chip_loihi2.yaml\n  mesh:\n    routers_x: 2\n    routers_y: 2\n  core:\n    compartments: 48\n" +
         extra;
}

}  // namespace

TEST(RunCommand, WritesReportRasterAndEffectiveConfigAndMatchesTheReference) {
  Cli cli;
  std::string out;
  ASSERT_EQ(cli.run("example --out " + (cli.dir / "ex").string() + " --seed 3", out), 0) << out;
  const fs::path cfg = cli.write("run.yaml", run_config());
  ASSERT_EQ(cli.run("run " + cfg.string() + " --out " + (cli.dir / "a").string(), out), 0) << out;
  EXPECT_NE(out.find("timesteps 12, cycles "), std::string::npos) << out;
  EXPECT_NE(out.find("table sanafe_loihi"), std::string::npos) << out;
  for (const char* f : {"report.json", "spikes.h5", "config.yaml"}) EXPECT_TRUE(fs::exists(cli.dir / "a" / f)) << f;
  const std::string report = Cli::slurp(cli.dir / "a" / "report.json");
  for (const char* key : {"\"cycles\": ", "\"timesteps\": 12", "\"latency_s\": ", "\"energy_j\": {", "\"total\": ",
                          "\"dynamic\": ", "\"static\": ", "\"breakdown\": {", "\"counters\": {", "\"chip.core_0\": {",
                          "\"chip.noc.router_1_1\": {", "\"chip\": {", "\"mapping\": {", "\"completed\": true"})
    EXPECT_NE(report.find(key), std::string::npos) << key;
  // The raster equals the reference simulator's on the same files.
  const Network net = read_network((cli.dir / "ex" / "network.h5").string());
  const Stimulus stim = read_stimulus(net, (cli.dir / "ex" / "stimulus.h5").string());
  const SimResult ref = run_reference(net, stim, 12);
  const SimResult chip = read_result((cli.dir / "a" / "spikes.h5").string());
  EXPECT_EQ(chip.spikes, ref.spikes);
  EXPECT_EQ(chip.currents, ref.currents);
  EXPECT_EQ(chip.synaptic_events, ref.synaptic_events);
  // Same config, same bytes.
  ASSERT_EQ(cli.run("run " + cfg.string() + " --out " + (cli.dir / "b").string(), out), 0) << out;
  EXPECT_EQ(Cli::slurp(cli.dir / "a" / "report.json"), Cli::slurp(cli.dir / "b" / "report.json"));
  EXPECT_EQ(Cli::slurp(cli.dir / "a" / "config.yaml"), Cli::slurp(cli.dir / "b" / "config.yaml"));
  // The effective config runs again to the same report.
  ASSERT_EQ(cli.run("run " + (cli.dir / "a" / "config.yaml").string() + " --out " + (cli.dir / "c").string(), out), 0)
      << out;
  EXPECT_EQ(Cli::slurp(cli.dir / "a" / "report.json"), Cli::slurp(cli.dir / "c" / "report.json"));
}

TEST(RunCommand, BadInputFailsBeforeSimulatingWithAMessage) {
  Cli cli;
  std::string out;
  ASSERT_EQ(cli.run("example --out " + (cli.dir / "ex").string(), out), 0) << out;
  const fs::path bad = cli.write("bad.yaml", run_config("  router:\n    hop_ns_cycles: fast\n"));
  EXPECT_EQ(cli.run("run " + bad.string() + " --out " + (cli.dir / "o").string(), out), 1);
  EXPECT_NE(out.find("bad.yaml:13: chip.router.hop_ns_cycles: expected an integer in [1, 1048576], got 'fast'"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(cli.dir / "o" / "report.json"));
  const fs::path cfg = cli.write("run.yaml", run_config());
  EXPECT_EQ(cli.run("run " + cfg.string() + " --set chip.core.compartments=40 --set chip.mesh.routers_x=1 --out " +
                        (cli.dir / "o").string(),
                    out),
            1);
  EXPECT_NE(out.find("mapping: resource cores: the network needs"), std::string::npos) << out;
  EXPECT_EQ(
      cli.run("run " + cfg.string() + " --set chip.core.graded_spikes=false --out " + (cli.dir / "o").string(), out),
      1);
  EXPECT_NE(out.find("population 'input': resource graded spikes: needs 8-bit spike payloads"), std::string::npos)
      << out;
  EXPECT_EQ(cli.run("run " + (cli.dir / "missing.yaml").string(), out), 1);
  EXPECT_NE(out.find("missing.yaml: cannot open the config file (no such file)"), std::string::npos) << out;
  const fs::path nonet = cli.write("nonet.yaml", "network: nothere.h5\n");
  EXPECT_EQ(cli.run("run " + nonet.string() + " --out " + (cli.dir / "o").string(), out), 1);
  EXPECT_NE(out.find("nothere.h5"), std::string::npos) << out;
}
