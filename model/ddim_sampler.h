// The fixed-point FSDDIM sampler (deterministic DDIM in the current domain, applied per SNN timestep),
// in integers only, driving any timestep-exact backend: the reference simulator here, the chip's
// management core in hw/. Its arithmetic matches model/fsddim/diffusion.py (`fixed_coefficients`,
// `fixed_update`) bit for bit; the schedule comes from the network file's /metadata (the FSDDIM exporter).
//
// Per DDIM step (t, t_prev): reset the network, select bias context t, feed the T payload vectors x[tau]
// on timesteps 0..T-1, run T + D timesteps (D = pipeline depth after delay balancing), read the readout
// currents o[tau] on timesteps D..D+T-1, then x[tau] <- round((A x 2^R + B o 2^P) / 2^(F + R)) with A, B the
// step's coefficients in Q.F, P the payload's and R the readout's fractional bits.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "network.h"
#include "reference_sim.h"

namespace spikemesh {

inline constexpr int kDdimTableFracBits = 30;  // sqrt(alpha_bar) tables in Q1.30

// What the sampler needs from the network file (/metadata, written by model/fsddim/export.py).
struct DdimSchedule {
  uint32_t input_population = 0;
  uint32_t readout_population = 0;
  uint32_t snn_timesteps = 0;        // T
  uint32_t diffusion_timesteps = 0;  // 1000
  uint32_t pipeline_depth = 0;       // D (metadata pipeline_depth, set by delay balancing)
  int readout_frac_bits = 0;         // R
  int coeff_frac_bits = 0;           // F
  int payload_frac_bits = 0;         // P (the input population's)
  int payload_bits = 0;
  std::vector<int64_t> sqrt_alpha_bar_q30;            // a_t, Q1.30, t = 0..diffusion_timesteps-1
  std::vector<int64_t> sqrt_one_minus_alpha_bar_q30;  // s_t
  // The diffusion step of each bias-table context (/metadata/ddim_context_times, increasing), for exports
  // that keep only the DDIM times of chosen step counts; empty: context k is diffusion step k (all of them).
  std::vector<int64_t> context_times;
};

// Reads the schedule from a balanced FSDDIM network; throws Error naming the missing or bad metadata.
DdimSchedule read_ddim_schedule(const Network& net, const std::string& where);

// The strided DDIM times: S + 1 points t_i = -1 + floor(i * timesteps / S), walked downwards in pairs
// (t, t_prev); t_prev = -1 is the final step to x0.
std::vector<std::pair<int32_t, int32_t>> ddim_times(uint32_t timesteps, uint32_t steps);

// One DDIM step: from diffusion step t to t_prev (-1: the final step to x0), with the time embedding of t
// (its bias-table context).
struct DdimStep {
  int32_t t = 0, t_prev = 0;
  uint32_t context = 0;
};
// The S steps of a run in sampling order (t decreasing): made once per run from the schedule and S, and
// shared by every sampler and report of that run.
using DdimPlan = std::vector<DdimStep>;

// The plan for S = `steps` (ddim_times, with each t's context); throws an Error when S is out of range, or
// naming the missing diffusion step when the network was exported for other step counts.
DdimPlan plan_ddim(const DdimSchedule& s, uint32_t steps);

// round(v / 2^n), ties toward plus infinity: floor((v + 2^(n-1)) / 2^n).
constexpr int64_t round_shift(int64_t v, int n) {
  const int64_t x = v + (int64_t{1} << (n - 1));
  return x >= 0 ? (x >> n) : -((-x + (int64_t{1} << n) - 1) >> n);
}

struct DdimCoefficients {
  int64_t a = 0, b = 0;  // x_prev = A x_t + B v, in Q.coeff_frac_bits
};
DdimCoefficients ddim_coefficients(const DdimSchedule& s, int32_t t, int32_t t_prev);

// One element of the update: the next payload, rounded and saturated to payload_bits.
int32_t ddim_update(int32_t payload, int32_t readout, const DdimCoefficients& c, const DdimSchedule& s);

// x_T: seeded standard normal noise (Box-Muller over a 64-bit Mersenne twister) quantized to payloads,
// round half to even, saturated; one independent stream per (seed, image).
std::vector<int32_t> initial_payloads(const DdimSchedule& s, uint64_t size, uint64_t seed, uint64_t image);
// The sampler's starting x (T x size): initial_payloads on every SNN timestep (FSDDIM's direct input encoding).
std::vector<int32_t> initial_x(const DdimSchedule& s, uint64_t size, uint64_t seed, uint64_t image);

// A timestep-exact backend the sampler drives.
class TimestepBackend {
 public:
  virtual ~TimestepBackend() = default;
  virtual void reset() = 0;                        // zero all state
  virtual void set_context(uint32_t context) = 0;  // bias-table context
  // Pipelined calls (sample_pipelined): from the next step on, population p's bias follows times[p] (its
  // call's context and timestep, or none: bias 0) instead of set_context's one context for all.
  virtual void set_bias_times(const std::vector<BiasTime>& times) = 0;
  virtual void set_input(uint32_t population, const int32_t* payloads) = 0;  // for the next step
  virtual void step() = 0;
  // The currents of `population` will be read after the next step (a chip's management core reads them
  // over the mesh only then; default: nothing to do).
  virtual void request_currents(uint32_t /*population*/) {}
  virtual const int32_t* currents(uint32_t population) const = 0;  // of the last step
  // The management core computed `elements` DDIM updates (for cost accounting; default: nothing).
  virtual void account_update(uint64_t /*elements*/) {}
};

// The reference simulator as a backend: the fixed-point reference sampler.
class ReferenceBackend : public TimestepBackend {
 public:
  explicit ReferenceBackend(const Network& net) : sim_(net) {}
  void reset() override { sim_.reset(); }
  void set_context(uint32_t context) override { sim_.set_context(context); }
  void set_bias_times(const std::vector<BiasTime>& times) override { sim_.set_bias_times(times); }
  void set_input(uint32_t population, const int32_t* payloads) override { sim_.set_input(population, payloads); }
  void step() override { sim_.step(); }
  const int32_t* currents(uint32_t population) const override { return sim_.currents(population); }
  const ReferenceSimulator& simulator() const { return sim_; }

 private:
  ReferenceSimulator sim_;
};

// One image through the whole loop (the DDIM steps of `plan`). `trajectory`, when given, receives x
// (T x size payloads) after every DDIM step. Returns the final payloads x (T x size).
struct DdimProgress {
  virtual ~DdimProgress() = default;
  virtual void on_image(uint32_t /*image*/, uint32_t /*images*/) {}  // before each image
  virtual void on_step(uint32_t /*step*/, uint32_t /*steps*/) {}     // after each DDIM step
};
std::vector<int32_t> sample_image(TimestepBackend& backend, const DdimSchedule& s, const DdimPlan& plan,
                                  std::vector<int32_t> x, std::vector<std::vector<int32_t>>* trajectory = nullptr,
                                  DdimProgress* progress = nullptr);

// The firing rates of the workload itself (chip.mapping.rates: workload): the reference sampler generates
// `images` images (x_T of image k from (seed, k), the same noise on every SNN timestep, as the run's images)
// through the DDIM steps of `plan`; each neuron's rate is its spikes divided by the timesteps of its
// population's windows (network calls x T), so that, like random input after D, it is the rate of a layer
// that is working: the unit the traffic estimate and the balance objective take. Deterministic.
std::vector<double> ddim_firing_rates(const Network& net, const DdimSchedule& s, const DdimPlan& plan, uint32_t images,
                                      uint64_t seed);

// ---- Image pipelining (docs/architecture.md#image-pipelining) ----------------------------------------
// In a delay-balanced network population p (depth d_p) works on a DDIM step in the step's timesteps
// [d_p, d_p + T - 1] (its window) and everything it receives for that step lands in that window. So the
// steps of different images can overlap, staggered by T timesteps: a step that starts at global timestep g0
// (a multiple of T) has p working on it at g0 + d_p .. g0 + d_p + T - 1. A periodic reset (interval T, offset
// d_p mod T) gives each window a fresh compartment state, and p's bias at global timestep g is that of the
// step whose window holds g (none: 0). One DDIM step of an image takes P = ceil((T + D) / T) T timesteps
// (inputs at 0..T-1, readouts at D..D+T-1, the update, the next inputs at the next multiple of T), so up to
// P / T images are in flight, one per T-timestep slot of P.

struct PipelineLayout {
  uint32_t period = 0;                     // P: global timesteps between two DDIM steps of one image
  uint32_t max_in_flight = 0;              // K_max = P / T
  std::vector<uint32_t> population_depth;  // d_p: the first timestep of each population's window
};

// The layout of a balanced FSDDIM network. Throws Error naming `where` and the projection that is recurrent
// (a self-loop) or not exactly delay balanced (its delay differs from depth(target) - depth(source) - 1),
// the population whose bias_start is not its depth, or a readout whose depth is not D.
PipelineLayout pipeline_layout(const Network& net, const DdimSchedule& s, const std::string& where);

// Makes `net` run pipelined: every non-input population gets the periodic reset (interval T, offset
// d_p mod T), and every bias becomes a bias table gated after its window (gate_bias_after_window: a
// pipelined chip's biases are registers the management core writes per window). Images do not change.
void enable_pipelining(Network& net, const PipelineLayout& layout, const DdimSchedule& s);

// When an image was on the chip: global timesteps of its first input and of its last readout (its last
// DDIM update follows).
struct PipelineSpan {
  uint64_t first_timestep = 0, last_timestep = 0;
};

// The images x (each T x size payloads) through the whole loop with `in_flight` (1..K_max) images at a
// time: image j goes to lane j mod in_flight, lane l's DDIM steps start at global timesteps l T + m P.
// The backend runs `net` after enable_pipelining. Returns the final payloads per image, identical to
// sample_image's; `trajectories` (per image, per step) and `spans` (per image) when given. Throws Error
// when in_flight is 0 or above K_max.
std::vector<std::vector<int32_t>> sample_pipelined(TimestepBackend& backend, const DdimSchedule& s,
                                                   const DdimPlan& plan, const PipelineLayout& layout,
                                                   uint32_t in_flight, const std::vector<std::vector<int32_t>>& x,
                                                   std::vector<std::vector<std::vector<int32_t>>>* trajectories,
                                                   std::vector<PipelineSpan>* spans, DdimProgress* progress = nullptr);

// The image of final payloads: mean over T, divided by 2^P, clamped to [-1, 1].
std::vector<double> payloads_to_image(const std::vector<int32_t>& x, const DdimSchedule& s);

}  // namespace spikemesh
