// Import of lava-dl netx HDF5 networks (`.net`) into the spikemesh network (docs/netx.md).
// Supported: `input`, `conv` (stride, padding, dilation, groups), `dense` and `flatten` layers of LOIHI / CUBA or
// SDNN neurons in a chain, with axonal delays (NetxOptions::axonal_delays); anything else
// is an Error naming the file, the layer index, the field and what is supported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "error.h"
#include "network.h"

namespace spikemesh {

// What a netx dense layer's weight matrix becomes in Lava (a pure function, no file):
// lava-dl's optimize_weight_bits (w << scale_bits, num_weight_bits, weight_exp = -scale_bits, sign mode from
// the signs, after clipping a mixed matrix that does not fit to -256..254), then Lava's bit-accurate Dense
// (clip to 8 bits, truncate to num_weight_bits, and the summed input >> scale_bits). `effective` is what
// each synapse adds to the neuron's input (before the LIF's << 6); `problem` is non-empty when Lava's
// result cannot be written per synapse (its shift acts on the sum) or the weights do not fit.
struct LavaDenseWeights {
  std::vector<int64_t> effective;
  int scale_bits = 0;
  int num_weight_bits = 8;
  SignMode sign_mode = SignMode::Mixed;
  uint64_t clipped = 0;  // weights lava-dl clipped to -256..254 (it prints a warning; netx_warnings here)
  std::string problem;
};
LavaDenseWeights lava_dense_weights(std::vector<int64_t> w);

// Reads a netx file and returns the equivalent network (hardware units, chain of populations
// `layer0`, `layer1`, ... with one projection between consecutive layers; a first dense layer reads an
// input population `input`). Throws Error on anything the importer does not support or cannot represent
// exactly. What lava-dl changes with a warning (clipped weights) is listed, one line each, in the
// network's metadata attribute `netx_warnings`.
// lava-dl's netx.hdf5.Network(reset_interval=R, reset_offset=O): each neuron layer k (0, 1, ... in order, the
// input layer first when it has neurons) zeroes its u and v every R timesteps, one step after the layer before
// it. Not stored in the .net; an import option. R = 0: no reset.
// A layer's `delay` (slayer's axonal delays): "apply" puts them on the synapses out of the layer, as slayer
// trained the network; "ignore" drops them, as Lava's netx does (it reads them only for its summary table).
// Either way the import lists what it did in `netx_warnings`.
struct NetxOptions {
  uint32_t reset_interval = 0;
  uint32_t reset_offset = 0;
  std::string axonal_delays = "apply";

  // Throws Error "<where><name of the field>: ..." for a reset offset without an interval or an axonal_delays
  // that is neither 'apply' nor 'ignore'; `name` gives a field's name as the user wrote it (a config key, a flag).
  template <class Name>
  void check(const std::string& where, Name&& name) const {
    if (reset_offset != 0 && reset_interval == 0)
      throw Error(where + name("reset_offset") + " = " + std::to_string(reset_offset) + " needs " +
                  name("reset_interval") + " (0: no reset)");
    if (axonal_delays != "apply" && axonal_delays != "ignore")
      throw Error(where + name("axonal_delays") +
                  ": expected 'apply' (as slayer trained them) or 'ignore' (as Lava's netx builds the network), got '" +
                  axonal_delays + "'");
  }

  template <class V>
  void describe(V& v) {  // a run config's `netx:` section (sim/config.h)
    v.field("reset_interval", reset_interval, 0, 65535,
            "a .net network only: zero every neuron layer's u and v every this many timesteps, each layer one "
            "step after the one before (lava-dl's netx reset_interval; 0: never)");
    v.field("reset_offset", reset_offset, 0, 1u << 30,
            "a .net network only: the first layer's reset phase (lava-dl's reset_offset)");
    v.field("axonal_delays", axonal_delays,
            "a .net network only: 'apply' a layer's axonal delays (slayer's `delay`) to the synapses out of it, "
            "or 'ignore' them as Lava's netx does (docs/netx.md#axonal-delays)");
  }
};
Network import_netx(const std::string& path, const NetxOptions& options = {});

}  // namespace spikemesh
