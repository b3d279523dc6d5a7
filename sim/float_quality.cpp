#include "float_quality.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "child_process.h"
#include "error.h"
#include "h5io.h"

namespace fs = std::filesystem;

namespace spikemesh {

std::vector<double> psnr_against_float_model(const SampleSet& set, const std::string& checkpoint,
                                             const std::string& samples_h5, const std::string& float_h5) {
  const std::string key = "fsddim.float_checkpoint";
  if (!fs::is_regular_file(checkpoint)) throw Error(key + ": " + checkpoint + ": checkpoint not found");
  const fs::path package_dir = find_python_tools().package_dir;
  if (!fs::exists(kPython))
    throw Error(std::string(kPython) + ": not found; " + key +
                " needs it (apt-get install python3-torch python3-h5py)");
  const std::vector<std::string> cmd = {
      kPython, "-m", "fsddim.float_images", "--checkpoint", checkpoint, "--samples", samples_h5, "--out", float_h5};
  const char* pp = std::getenv("PYTHONPATH");
  const std::string pythonpath = package_dir.string() + (pp && *pp ? std::string(":") + pp : "");
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
    throw Error(float_h5 + ": /images: expected " + std::to_string(n) + " images of " + std::to_string(per) +
                " pixels");
  std::vector<double> psnr;
  for (size_t k = 0; k < n; ++k)
    psnr.push_back(
        psnr_db(set.images[k], std::vector<double>(pixels.begin() + k * per, pixels.begin() + (k + 1) * per)));
  return psnr;
}

}  // namespace spikemesh
