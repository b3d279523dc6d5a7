// `spikemesh map` end to end: tables and mapping.json written, same bytes twice, flit-hops of both
// placements printed; a network that does not fit names population, resource, need, capacity and the
// smallest chip shape, with exit status 1.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct MapCli {
  fs::path dir;
  MapCli() {
    dir = fs::path(::testing::TempDir()) / ("spikemesh_map_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~MapCli() { fs::remove_all(dir); }
  int run(const std::string& args, std::string& out) const {
    const fs::path log = dir / "log.txt";
    const std::string cmd = std::string(SPIKEMESH_BINARY) + " " + args + " > " + log.string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    out = slurp(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // The example network (spikemesh example) and a config mapping it on small cores of a 2 x 2 mesh.
  fs::path config(const std::string& chip_keys) const {
    std::string out;
    EXPECT_EQ(run("example --out " + (dir / "ex").string(), out), 0) << out;
    std::ofstream(dir / "map.yaml") << "network: ex/network.h5\nchip:\n  base: " << SPIKEMESH_SOURCE_DIR
                                    << "/configs/chip_loihi2.yaml\n"
                                    << chip_keys;
    return dir / "map.yaml";
  }
};

}  // namespace

TEST(MapCommand, PrintsUtilisationAndFlitHopsAndWritesTheSameMappingJsonTwice) {
  MapCli c;
  const fs::path cfg = c.config("  mesh: {routers_x: 2, routers_y: 2}\n  core: {compartments: 64}\n");
  std::string out;
  ASSERT_EQ(c.run("map " + cfg.string() + " --out " + (c.dir / "a").string(), out), 0) << out;
  EXPECT_NE(out.find("per population"), std::string::npos) << out;
  EXPECT_NE(out.find("per core"), std::string::npos) << out;
  EXPECT_NE(out.find("flit-hops per timestep: mesh order"), std::string::npos) << out;
  EXPECT_NE(out.find("pipeline depth D"), std::string::npos) << out;
  ASSERT_EQ(c.run("map " + cfg.string() + " --out " + (c.dir / "b").string(), out), 0) << out;
  const std::string a = MapCli::slurp(c.dir / "a" / "mapping.json");
  EXPECT_NE(a.find("\"cores_used\""), std::string::npos);
  EXPECT_NE(a.find("\"mesh_order\""), std::string::npos);
  EXPECT_EQ(a, MapCli::slurp(c.dir / "b" / "mapping.json"));
}

TEST(MapCommand, OverSizeModelNamesTheResourceAndTheSmallestShape) {
  MapCli c;
  const fs::path cfg =
      c.config("  mesh: {routers_x: 1, routers_y: 1, cores_per_router: 1}\n  core: {compartments: 64}\n");
  std::string out;
  EXPECT_EQ(c.run("map " + cfg.string() + " --out " + (c.dir / "a").string(), out), 1) << out;
  EXPECT_NE(out.find("resource cores: the network needs "), std::string::npos) << out;
  EXPECT_NE(out.find("the chip has 1 (1x1 chips of 1x1 routers, 1 cores each: chip.mesh); population '"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("smallest chip shape that fits: chips_x=1 chips_y=1 routers_x="), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(c.dir / "a" / "mapping.json"));
}
