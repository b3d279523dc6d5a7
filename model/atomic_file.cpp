// Temporary file, then rename; see atomic_file.h.
#include "atomic_file.h"

#include <fstream>
#include <system_error>

#include "error.h"

namespace spikemesh {

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::error_code ec;
  try {
    write(tmp);
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error(path.string() + ": cannot move the finished file into place (" + ec.message() + ")");
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

void write_stream_atomically(const std::filesystem::path& path, const std::function<void(std::ostream& out)>& write) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) throw Error(path.string() + ": cannot write (does the folder exist and is it writable?)");
    write(f);
    f.flush();
    if (!f) throw Error(path.string() + ": write failed");
  });
}

}  // namespace spikemesh
