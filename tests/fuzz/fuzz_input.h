// Shared by the libFuzzer harnesses: the loaders read files by path, so each input is written to one
// scratch file per process first. Only spikemesh::Error may escape a loader; anything else (a crash, a
// sanitizer report, another exception type, a hang) is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace spikemesh::fuzz {

inline std::string scratch_file(const char* suffix, const uint8_t* data, size_t size) {
  const std::string path = "/tmp/spikemesh_fuzz_" + std::to_string(::getpid()) + suffix;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace spikemesh::fuzz
