// Import of lava-dl netx HDF5 networks (`.net`) into the spikemesh network (docs/netx.md).
// Supported: an `input` layer and `conv` layers of LOIHI / CUBA neurons in a chain; anything else is an
// Error naming the file, the layer index, the field and what is supported.
#pragma once

#include <string>

#include "network.h"

namespace spikemesh {

// Reads a netx file and returns the equivalent network (hardware units, chain of populations
// `layer0`, `layer1`, ... with one projection between consecutive layers). Throws Error on anything the
// importer does not support or cannot represent exactly.
Network import_netx(const std::string& path);

}  // namespace spikemesh
