// Locating the Python tools beside the executable, and running them as child processes.
#include "child_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <optional>

#include "error.h"

namespace fs = std::filesystem;

namespace spikemesh {

const char* const kPython = "/usr/bin/python3";

namespace {

// The two layouts of a data folder: the sweep scripts' folder and the folder holding the fsddim package.
struct Layout {
  const char* sweep;
  const char* package;
};
constexpr Layout kInstalled{"sweep", "python"};
constexpr Layout kCheckout{"scripts/sweep", "model"};

// The tools under `dir` in one of `layouts`; `looked` collects what was tried, for the error message.
std::optional<PythonTools> tools_at(const fs::path& dir, std::initializer_list<Layout> layouts,
                                    std::vector<std::string>& looked) {
  for (const auto& [sweep, package] : layouts) {
    const PythonTools t{dir / sweep / "sweep.py", dir / package};
    std::error_code ec;
    if (fs::is_regular_file(t.sweep_script, ec) && fs::is_regular_file(t.package_dir / "fsddim" / "__init__.py", ec))
      return t;
    looked.push_back((dir / sweep).string() + "/sweep.py and " + (dir / package).string() + "/fsddim/");
  }
  return std::nullopt;
}

// The checkout a build tree was configured from: the `source_dir=` line of spikemesh_paths.txt.
std::optional<fs::path> configured_source_dir(const fs::path& paths_file) {
  std::ifstream f(paths_file);
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("source_dir=", 0) == 0) return fs::path(line.substr(11));
  return std::nullopt;
}

}  // namespace

PythonTools find_python_tools() {
  std::vector<std::string> looked;
  if (const char* env = std::getenv("SPIKEMESH_DATA_DIR"); env && *env) {
    if (auto t = tools_at(env, {kInstalled, kCheckout}, looked)) return *t;
    throw Error(std::string("SPIKEMESH_DATA_DIR=") + env + ": no Python tools there (looked for " + looked[0] +
                ", or " + looked[1] + ")");
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    throw Error("/proc/self/exe: cannot find this program's own path (" + ec.message() +
                "); set SPIKEMESH_DATA_DIR to the installed share/spikemesh folder or a source checkout");
  const fs::path bin_dir = exe.parent_path();
  if (auto t = tools_at((bin_dir / ".." / "share" / "spikemesh").lexically_normal(), {kInstalled}, looked)) return *t;
  const fs::path paths_file = bin_dir / "spikemesh_paths.txt";
  if (const auto src = configured_source_dir(paths_file)) {
    if (auto t = tools_at(*src, {kCheckout}, looked)) return *t;
  } else {
    looked.push_back(paths_file.string() + " (a build tree's pointer to its source checkout)");
  }
  std::string msg = exe.string() + ": cannot find the Python tools (sweep.py, the fsddim package); looked for";
  for (const auto& l : looked) msg += "\n  " + l;
  throw Error(msg +
              "\ninstall with `cmake --install BUILD --prefix PREFIX`, or set SPIKEMESH_DATA_DIR to "
              "PREFIX/share/spikemesh or a source checkout");
}

int run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> words = argv;
  std::vector<char*> args;
  for (auto& w : words) args.push_back(w.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error(argv[0] + ": cannot start: " + std::strerror(errno));
  if (pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execv(args[0], args.data());
    std::fprintf(stderr, "%s: cannot run: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error(argv[0] + ": waitpid: " + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace spikemesh
