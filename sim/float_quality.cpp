#include "float_quality.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "child_process.h"
#include "error.h"
#include "h5io.h"

namespace fs = std::filesystem;

namespace spikemesh {

void check_torch_checkpoint(const std::string& checkpoint) {
  std::error_code ec;
  if (!fs::is_regular_file(checkpoint, ec)) throw Error(checkpoint + ": checkpoint not found");
  const uint64_t size = fs::file_size(checkpoint, ec);
  std::ifstream in(checkpoint, std::ios::binary);
  char head[4] = {};
  if (ec || !in.read(head, sizeof head) || std::memcmp(head, "PK\3\4", 4) != 0)
    throw Error(checkpoint +
                ": not a PyTorch checkpoint (torch.save writes a zip archive; this file does not start "
                "with a zip header)");
  // The end-of-central-directory record ends the archive, after at most a 64 KiB comment; the central
  // directory, which names every entry, comes just before it. 1 MiB of tail holds both for a checkpoint.
  const uint64_t tail = std::min<uint64_t>(size, uint64_t{1} << 20);
  std::string buf(tail, '\0');
  in.seekg(static_cast<std::streamoff>(size - tail));
  in.read(buf.data(), static_cast<std::streamsize>(tail));
  const size_t eocd = buf.rfind(std::string("PK\5\6", 4));
  if (!in || eocd == std::string::npos || buf.size() - eocd < 22 || buf.size() - eocd > 22 + 65535)
    throw Error(checkpoint +
                ": not a PyTorch checkpoint (a zip archive with no end-of-central-directory record: "
                "truncated or corrupt)");
  if (buf.find("/data.pkl") == std::string::npos)
    throw Error(checkpoint + ": not a PyTorch checkpoint (the zip archive has no data.pkl entry)");
}

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
