// The one exception type for user-facing errors: bad files, bad configs, networks that do not fit.
// Messages name the file, the dataset or key, and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace spikemesh {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace spikemesh
