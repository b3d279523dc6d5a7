// A spiking network ready to map: populations of compartments and projections between them, with every
// value in hardware units. This is the in-memory form of the network file (docs/network-format.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "neuron.h"

namespace spikemesh {

enum class NeuronKind : uint8_t {
  Cuba,     // spiking CUBA compartment
  Input,    // graded input: emits the payload it is given each timestep (0 = no spike)
  Readout,  // non-spiking CUBA compartment; its current u2 is read out every timestep
  Sdnn,     // sigma-delta compartment (neuron.h update_sdnn): sends graded spikes
};
enum class Encoding : uint8_t { Dense, Sparse, Conv, OneToOne };

const char* to_string(NeuronKind k);
const char* to_string(Encoding e);
const char* to_string(SignMode m);
const char* to_string(Arithmetic a);
const char* to_string(SdnnRole r);
const char* to_string(SdnnActivation a);
bool parse(const std::string& s, NeuronKind& out);
bool parse(const std::string& s, Encoding& out);
bool parse(const std::string& s, SignMode& out);
bool parse(const std::string& s, Arithmetic& out);
bool parse(const std::string& s, SdnnRole& out);
bool parse(const std::string& s, SdnnActivation& out);

struct Population {
  std::string name;
  std::vector<uint32_t> shape;  // (C, H, W) for maps, (N) for vectors
  NeuronKind kind = NeuronKind::Cuba;
  Arithmetic arithmetic = Arithmetic::NengoLoihi;  // which fixed-point LIF its compartments compute
  // Compartment parameters: one entry for the whole population, or one per neuron.
  std::vector<CompartmentParams> params = std::vector<CompartmentParams>(1);
  // Optional bias table: bias mantissas indexed [context][phase][column], replacing params.bias_mant.
  // Columns are neurons (size()) or channels (shape[0] of a (C, H, W) map; neuron i uses i / (H W)).
  // A run selects the context (e.g. the diffusion step); timestep t of a context uses phase
  // min(t - bias_start, phases - 1) and context min(k, contexts - 1).
  std::vector<int16_t> bias_table;
  uint32_t bias_contexts = 0, bias_phases = 0, bias_columns = 0;
  // The bias (static or from the table) is 0 for the first bias_start timesteps of a context: a
  // population whose input arrives D steps late (delay balancing) starts integrating its bias with it.
  uint32_t bias_start = 0;
  // Periodic reset (lava-dl netx's reset_interval / reset_offset): with reset_interval > 0 every
  // compartment's u, v and refractory count are zeroed before its update at the timesteps t (counted from
  // the last full reset) with t >= reset_offset and (t - reset_offset) % reset_interval == 0
  // (neuron.h periodic_reset_due). Image pipelining sets interval T and offset depth mod T, so that each
  // T-timestep window of a layer starts from a fresh state. 0: never.
  uint32_t reset_interval = 0;
  uint32_t reset_offset = 0;
  // Graded input and sdnn: payload width (sign included) and its fractional bits (what a synapse divides
  // w_eff * payload by: an sdnn population's spike_exp).
  uint8_t payload_bits = 1;
  uint8_t payload_frac_bits = 0;
  // Sdnn only: role, activation and Lava's exponents (neuron.h SdnnParams). A Delta takes its a_in from the
  // stimulus, as an input population takes its payloads.
  SdnnParams sdnn;

  uint64_t size() const;
  // Whether its spikes carry payloads (graded input, sdnn) rather than a plain 1.
  bool sends_graded() const { return kind == NeuronKind::Input || kind == NeuronKind::Sdnn; }
  // Whether the host writes its input each step (stimulus rows, set_input): a graded input's payloads or a
  // Delta encoder's a_in.
  bool takes_stimulus() const {
    return kind == NeuronKind::Input || (kind == NeuronKind::Sdnn && sdnn.role == SdnnRole::Delta);
  }
  const CompartmentParams& param(uint64_t i) const { return params.size() == 1 ? params[0] : params[i]; }
  bool has_bias_table() const { return bias_contexts > 0; }
  // Effective bias (mantissa << bias_exp) of neuron i at timestep t of context k.
  int64_t bias_at(uint32_t context, uint64_t t, uint64_t i) const;
  // With a bias table: the table column of neuron i (the neuron, or its channel), and the mantissa that
  // column holds at timestep t of context k (0 for the first bias_start timesteps).
  uint64_t bias_column(uint64_t i) const { return bias_columns == size() ? i : i / (size() / shape[0]); }
  int32_t bias_mant_at(uint32_t context, uint64_t t, uint64_t column) const;
};

// Which network call a population's bias follows at one timestep, when calls overlap (image pipelining):
// bias context `context` at timestep `t` of that call, or (active = false) no call: bias 0.
struct BiasTime {
  bool active = false;
  uint32_t context = 0;
  uint32_t t = 0;
};

// Convolution geometry (torch cross-correlation order, weights [C_out][C_in / groups][kh][kw]).
// `upsample` nearest-upsamples the source by an integer factor before the convolution (U-Net up path).
struct ConvGeometry {
  uint32_t kernel_h = 1, kernel_w = 1;
  uint32_t stride_y = 1, stride_x = 1;
  uint32_t pad_y = 0, pad_x = 0;
  uint32_t groups = 1;
  uint32_t upsample = 1;
  uint32_t dilation_y = 1, dilation_x = 1;  // kernel tap k reads the input k * dilation past the window's start
};

struct Projection {
  std::string name;
  uint32_t source = 0, target = 0;  // population indices
  Encoding encoding = Encoding::Dense;
  WeightFormat format;
  // Weight mantissas. dense: [N_target][N_source]; sparse: one per synapse; conv: kernel
  // [C_out][C_in / groups][kh][kw]; one_to_one: one per neuron, or one for all.
  std::vector<int16_t> weights;
  std::vector<uint32_t> pre, post;  // sparse only: source and target neuron per synapse
  std::vector<uint8_t> delays{0};   // one for all synapses, or one per weight entry
  ConvGeometry conv;                // conv only
  uint8_t delay(uint64_t i) const { return delays.size() == 1 ? delays[0] : delays[i]; }
};

// Free-form metadata; the FSDDIM exporter adds its schedule as arrays.
struct MetaArray {
  std::vector<uint64_t> shape;
  bool is_integer = true;
  std::vector<int64_t> ints;  // when is_integer
  std::vector<double> reals;  // otherwise
};
struct Metadata {
  std::string producer = "spikemesh";
  std::map<std::string, std::string> attributes;
  std::map<std::string, MetaArray> arrays;
};

struct Network {
  std::vector<Population> populations;
  std::vector<Projection> projections;
  Metadata metadata;

  int find(const std::string& population_name) const;  // -1 when absent
  uint64_t total_neurons() const;
  uint64_t total_synapses() const;  // expanded synapse count (conv: every tap)
};

// The global index of each population's neuron 0 (populations in file order), and the total at the end:
// populations.size() + 1 entries. Global neuron order is population by population.
std::vector<uint64_t> population_offsets(const Network& net);

// Checks every rule of the format (shapes, ranges, references). Throws Error naming the object by its
// path in the network file (e.g. "/projections/2/weights") with what was expected. `where` prefixes
// messages (the file name when loading).
void validate(const Network& net, const std::string& where = "network");

// Quantization for design-space questions ("what if the chip had b-bit weights?"): every projection keeps
// at most `bits` weight bits (num_weight_bits = min(num_weight_bits, bits)), so effective_weight drops the
// mantissas' low bits as the chip's synapse format would. Returns the projections it changed.
uint32_t limit_weight_bits(Network& net, uint8_t bits);

// Output size of a convolution along one axis: (in * upsample + 2 pad - dilation (kernel - 1) - 1) / stride + 1.
int64_t conv_out_size(int64_t in, uint32_t upsample, uint32_t pad, uint32_t kernel, uint32_t stride,
                      uint32_t dilation = 1);

}  // namespace spikemesh
