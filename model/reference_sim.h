// Functional, timestep-exact reference simulator: the golden model the SystemC chip is held to.
// Per timestep t it (1) updates every compartment (after its periodic reset, when one is due) with the
// bit-exact functions of neuron.h, using the synaptic input that arrived for step t, and (2) delivers every
// spike emitted at t through every projection into the delay slot t + 1 + delay of its targets. No notion
// of cores, time or energy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "network.h"

namespace spikemesh {

// Payloads for the graded input populations and sdnn delta encoders (their a_in): [timestep][neuron] per
// population. Timesteps past the
// end of a population's rows get payload 0 (no spike).
struct Stimulus {
  struct Rows {
    uint32_t population = 0;
    uint32_t timesteps = 0;
    std::vector<int32_t> payloads;  // timesteps x size
  };
  std::vector<Rows> inputs;
  // Bias input: one bias mantissa per neuron of a CUBA or readout population, replacing the network's for the
  // run (lava-dl netx feeds an input layer's frame this way: "the input must be handled through neuron's bias").
  struct Biases {
    uint32_t population = 0;
    std::vector<int16_t> mant;  // size of the population
  };
  std::vector<Biases> biases;
};

// Payload range of an input population: b-bit two's complement, except b = 1, a plain spike {0, 1}.
int64_t payload_min(const Population& p);
int64_t payload_max(const Population& p);
// Throws Error naming `where`, the population and the timestep when a payload is out of range or the
// stimulus names a population that is not an input.
void validate_stimulus(const Network& net, const Stimulus& s, const std::string& where);

// u and v of chosen populations after chosen timesteps (`--state-out`, sim/state_out.h): the reference
// simulator's caller or the chip's cores fill it as the run goes.
struct StateRecord {
  std::vector<uint32_t> populations;       // network order
  std::vector<uint32_t> timesteps;         // sorted, unique
  std::vector<std::vector<int32_t>> u, v;  // per chosen population: timesteps x size (allocated by the maker)
  // Position of timestep t in `timesteps`, or -1; of population p in `populations`, or -1.
  int64_t row(uint64_t t) const;
  int64_t slot(uint32_t p) const;
};

// What a run produced: a spike raster per population and, for readouts, the current u2 per step.
struct SimResult {
  uint32_t timesteps = 0;
  std::vector<std::string> names;              // per population
  std::vector<std::vector<uint8_t>> spikes;    // per population: timesteps x size, 0/1
  std::vector<std::vector<int32_t>> currents;  // per population: timesteps x size (readouts only)
  std::vector<std::vector<int32_t>> payloads;  // per population: timesteps x size graded spikes (sdnn only)
  uint64_t synaptic_events = 0;                // synapses traversed by spikes
  uint64_t spike_count = 0;
};

class ReferenceSimulator {
 public:
  explicit ReferenceSimulator(const Network& net);  // `net` must outlive the simulator

  // Zeroes every state and every pending synaptic input; the next step is timestep 0.
  void reset();
  // Selects the bias-table context (e.g. the diffusion step) and restarts its phase count.
  void set_context(uint32_t context);
  // Pipelined calls: from the next step on, population p's bias follows times[p] (its call's context and
  // timestep, or none) instead of the one context; an empty vector returns to set_context's. Throws Error
  // when the size is not one per population.
  void set_bias_times(const std::vector<BiasTime>& times);
  // Payloads the input population emits at the next step (size() values; 0 = no spike).
  void set_input(uint32_t population, const int32_t* payloads);
  void step();

  uint64_t timestep() const { return t_; }  // steps done since reset()
  // Results of the last step.
  const uint8_t* spikes(uint32_t population) const { return spikes_.data() + offset_[population]; }
  const int32_t* currents(uint32_t population) const { return current_.data() + offset_[population]; }
  // The payload each neuron sent (0: none): a graded input's, an sdnn compartment's graded spike.
  const int32_t* sent(uint32_t population) const { return sent_.data() + offset_[population]; }
  CompartmentState state(uint32_t population, uint64_t i) const;
  uint64_t synaptic_events() const { return synaptic_events_; }
  uint64_t spike_count() const { return spike_count_; }

 private:
  struct Synapse {
    uint32_t target_delay;  // global target index (low 26 bits) | delay << 26
    int32_t weight;         // effective weight added to q
  };
  struct FanOut {                 // all non-conv outgoing synapses of one source population, CSR by source neuron
    std::vector<uint64_t> begin;  // size + 1
    std::vector<Synapse> syn;
    bool any_delay = false;
  };
  struct ConvTaps {  // one conv projection, scattered on the fly
    uint32_t projection;
    std::vector<int32_t> weights;  // effective weights, [C_in][tap][C_out / groups]
    std::vector<uint8_t> delays;   // the same layout, or one
  };

  void update_population(uint32_t p, uint64_t slot);
  void deliver(uint32_t p);
  void scatter_conv(const ConvTaps& c, uint64_t src_index, int32_t payload);
  uint32_t* slot_for_delay(uint32_t d) { return acc_.data() + ((t_ + 1 + d) % slots_) * total_; }

  const Network& net_;
  uint64_t total_ = 0;
  std::vector<uint64_t> offset_;             // first global index of each population
  std::vector<FanOut> fanout_;               // per source population
  std::vector<std::vector<ConvTaps>> conv_;  // per source population
  uint32_t slots_ = 2;                       // delay ring length: max delay + 2
  std::vector<uint32_t> acc_;                // slots_ x total_: dendritic accumulators, modulo 2^32
  std::vector<CompartmentState> state_;
  std::vector<uint8_t> spikes_;
  std::vector<int32_t> current_;
  std::vector<int32_t> payload_;   // input payloads (a delta encoder's a_in) for the next step
  std::vector<int32_t> sent_;      // the payloads sent at the last step
  std::vector<uint64_t> spiking_;  // scratch: indices of the spiking neurons of a population
  uint64_t t_ = 0;
  uint32_t context_ = 0;
  uint64_t context_start_ = 0;
  std::vector<BiasTime> bias_times_;  // per population while pipelined, else empty
  uint64_t synaptic_events_ = 0, spike_count_ = 0;
};

// Runs `timesteps` steps from reset with the stimulus and bias context; records everything. `after_step`,
// when given, sees the simulator after each step (its timestep() is the number of steps done).
SimResult run_reference(const Network& net, const Stimulus& stim, uint32_t timesteps, uint32_t context = 0,
                        const std::function<void(const ReferenceSimulator&)>& after_step = nullptr);

// Spike/current file ("spikemesh-raster" HDF5, documented in docs/network-format.md); the chip writes the
// same layout.
void write_result(const SimResult& r, const std::string& path);
SimResult read_result(const std::string& path);
// Stimulus file: /inputs/<population name> with shape (timesteps, size), and /biases/<population name> with
// shape (size,).
Stimulus read_stimulus(const Network& net, const std::string& path);
// The network with the stimulus's biases in place (each such population gets one parameter set per neuron).
// Every command that reads a stimulus applies it before simulating, so the reference and the chip run the same.
Network apply_stimulus_biases(Network net, const Stimulus& s);
void write_stimulus(const Network& net, const Stimulus& s, const std::string& path);

}  // namespace spikemesh
