// The network file (HDF5, format "spikemesh-network", version 1): reader and writer.
// Layout and rules: docs/network-format.md.
#pragma once

#include <string>

#include "network.h"

namespace spikemesh {

inline constexpr int kNetworkFormatVersion = 1;
inline constexpr const char* kNetworkFormatName = "spikemesh-network";

// Reads and fully validates a network file. Any problem throws Error naming the file, the dataset
// path and what was expected.
Network read_network(const std::string& path);

// Validates, then writes `net` (overwriting `path`).
void write_network(const Network& net, const std::string& path);

}  // namespace spikemesh
