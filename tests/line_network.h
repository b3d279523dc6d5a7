// The timing tests' one-message network (and its chip and stimulus), shared by tests/hw and tests/system: an
// input neuron on core 0 sends one spike to a target neuron on core `target_core`, with idle one-neuron filler
// populations in between so that, at one compartment per core in mesh order, the target lands on the wanted
// core.
#pragma once

#include <functional>
#include <string>

#include "chip_params.h"
#include "mapping.h"
#include "network.h"
#include "reference_sim.h"

namespace spikemesh::testing {

// `firing_filler`: filler 1 fires on its bias alone at every update (bias 100 > threshold 64).
inline Network line_network(uint32_t target_core, bool firing_filler = false) {
  Network net;
  Population in;
  in.name = "in";
  in.shape = {1};
  in.kind = NeuronKind::Input;
  net.populations.push_back(in);
  for (uint32_t k = 1; k < target_core; ++k) {
    Population f;
    f.name = "filler" + std::to_string(k);
    f.shape = {1};
    if (firing_filler && k == 1) f.params[0].vth_mant = 1, f.params[0].bias_mant = 100;
    net.populations.push_back(f);
  }
  Population t;
  t.name = "target";
  t.shape = {1};
  t.params[0].vth_mant = 1000;
  net.populations.push_back(t);
  Projection pr;
  pr.source = 0;
  pr.target = static_cast<uint32_t>(net.populations.size() - 1);
  pr.encoding = Encoding::Dense;
  pr.weights = {100};
  net.projections.push_back(pr);
  return net;
}

// The chip it runs on: 4 x 3 routers, one core of one compartment each (target core 10 = router (2, 2)).
inline ChipParams line_chip() {
  ChipParams p;
  p.mesh = {1, 1, 4, 3, 1};
  p.core.compartments = 1;
  return p;
}

// One input spike at timestep 0.
inline Stimulus one_input_spike() {
  Stimulus s;
  s.inputs.push_back({0, 1, {1}});
  return s;
}

// The line network to core `target_core` mapped on line_chip() (after `tweak`), with the one input spike:
// what a timing test elaborates, e.g. `const auto& [net, p, prog, stim] = LineCase(10);`.
struct LineCase {
  Network net;
  ChipParams chip;
  ChipProgram program;
  Stimulus stimulus;
  explicit LineCase(uint32_t target_core, const std::function<void(ChipParams&)>& tweak = {})
      : net(line_network(target_core)), chip(line_chip()), stimulus(one_input_spike()) {
    if (tweak) tweak(chip);
    program = map_network(net, chip);
  }
};

}  // namespace spikemesh::testing
