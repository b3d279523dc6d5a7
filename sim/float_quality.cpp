#include "float_quality.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "error.h"
#include "h5io.h"

#ifndef SPIKEMESH_SOURCE_DIR
#error "SPIKEMESH_SOURCE_DIR (the repository root) must be defined at build time (sim/CMakeLists.txt)"
#endif

namespace fs = std::filesystem;

namespace spikemesh {

const char* const kPython = "/usr/bin/python3";

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

std::vector<double> psnr_against_float_model(const SampleSet& set, const std::string& checkpoint,
                                             const std::string& samples_h5, const std::string& float_h5) {
  const std::string key = "fsddim.float_checkpoint";
  if (!fs::is_regular_file(checkpoint)) throw Error(key + ": " + checkpoint + ": checkpoint not found");
  const fs::path model_dir = fs::path(SPIKEMESH_SOURCE_DIR) / "model";
  if (!fs::is_directory(model_dir / "fsddim")) throw Error(model_dir.string() + "/fsddim: the FSDDIM package is missing (source tree moved?)");
  if (!fs::exists(kPython)) throw Error(std::string(kPython) + ": not found; " + key + " needs it (apt-get install python3-torch python3-h5py)");
  const std::vector<std::string> cmd = {kPython, "-m", "fsddim.float_images", "--checkpoint", checkpoint,
                                        "--samples", samples_h5, "--out", float_h5};
  const char* pp = std::getenv("PYTHONPATH");
  const std::string pythonpath = model_dir.string() + (pp && *pp ? std::string(":") + pp : "");
  std::fflush(stdout);
  const int rc = run_child(cmd, {{"PYTHONPATH", pythonpath}});
  if (rc != 0) {
    std::string line;
    for (const auto& w : cmd) line += (line.empty() ? "" : " ") + w;
    throw Error(key + ": the float model's images failed (exit " + std::to_string(rc) + "): " + line);
  }
  const H5File f = H5File::open_read(float_h5);
  Shape shape;
  const std::vector<double> pixels = f.read_reals("/images", &shape);
  const size_t n = set.images.size();
  const size_t per = n ? set.images[0].size() : 0;
  if (shape.empty() || shape[0] != n || pixels.size() != n * per)
    throw Error(float_h5 + ": /images: expected " + std::to_string(n) + " images of " + std::to_string(per) + " pixels");
  std::vector<double> psnr;
  for (size_t k = 0; k < n; ++k)
    psnr.push_back(psnr_db(set.images[k], std::vector<double>(pixels.begin() + k * per, pixels.begin() + (k + 1) * per)));
  return psnr;
}

}  // namespace spikemesh
