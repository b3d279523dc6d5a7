// The FSDDIM loop on the chip (hosted mode): for the same seed its images are bit-identical to the
// fixed-point reference sampler's, it runs S x (T + D) timesteps per image, and the management core's
// compute time is part of the latency. One SystemC elaboration per test (one process each).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "chip_backend.h"
#include "chip_harness.h"
#include "ddim_sampler.h"
#include "delay_balance.h"
#include "samples.h"

namespace spikemesh::testing {
namespace {

// A small FSDDIM-shaped loop: graded input x (1 x 4 x 4, Q8) -> conv 3x3 -> h (2 x 4 x 4 CUBA) -> conv 1x1
// -> out (readout, 1 x 4 x 4), plus a skip x -> out; the cosine DDIM tables in /metadata.
Network loop_network() {
  Network net;
  Population x;
  x.name = "x";
  x.shape = {1, 4, 4};
  x.kind = NeuronKind::Input;
  x.payload_bits = 16;
  x.payload_frac_bits = 8;
  net.populations.push_back(x);
  Population h;
  h.name = "h";
  h.shape = {2, 4, 4};
  h.params[0].du = 4095;
  h.params[0].dv = 819;
  h.params[0].vth_mant = 20;
  h.params[0].bias_mant = 100;
  h.bias_contexts = 1000;  // a time embedding: a bias per diffusion step and channel
  h.bias_phases = 1;
  h.bias_columns = 2;
  for (uint32_t k = 0; k < 1000; ++k)
    h.bias_table.push_back(static_cast<int16_t>(k % 7 * 40)),
        h.bias_table.push_back(static_cast<int16_t>(300 - k % 5 * 60));
  net.populations.push_back(h);
  Population out;
  out.name = "out";
  out.shape = {1, 4, 4};
  out.kind = NeuronKind::Readout;
  out.params[0].du = 4095;
  net.populations.push_back(out);
  Projection c1;
  c1.name = "x_h";
  c1.source = 0;
  c1.target = 1;
  c1.encoding = Encoding::Conv;
  c1.conv = {3, 3, 1, 1, 1, 1, 1, 1};
  for (int k = 0; k < 2 * 9; ++k) c1.weights.push_back(static_cast<int16_t>((k * 37) % 120 - 50));
  net.projections.push_back(c1);
  Projection c2;
  c2.name = "h_out";
  c2.source = 1;
  c2.target = 2;
  c2.encoding = Encoding::Conv;
  c2.weights = {90, -70};
  net.projections.push_back(c2);
  Projection skip;
  skip.name = "skip";
  skip.source = 0;
  skip.target = 2;
  skip.encoding = Encoding::OneToOne;
  skip.weights = {64};
  net.projections.push_back(skip);
  net.metadata.attributes = {{"input_population", "x"},   {"readout_population", "out"},
                             {"snn_timesteps", "3"},      {"diffusion_timesteps", "1000"},
                             {"readout_frac_bits", "12"}, {"ddim_coeff_frac_bits", "24"}};
  std::vector<int64_t> a, s;
  for (uint32_t t = 0; t < 1000; ++t) {  // any monotone schedule in Q1.30 serves the test
    const double ab = std::pow(std::cos((t / 1000.0 + 0.008) / 1.008 * M_PI / 2), 2);
    a.push_back(std::llround(std::sqrt(ab) * (1 << 30)));
    s.push_back(std::llround(std::sqrt(1 - ab) * (1 << 30)));
  }
  net.metadata.arrays["ddim_sqrt_alpha_bar_q30"] = MetaArray{{1000}, true, a, {}};
  net.metadata.arrays["ddim_sqrt_one_minus_alpha_bar_q30"] = MetaArray{{1000}, true, s, {}};
  balance_delays(net);
  return net;
}

}  // namespace

TEST(FsddimLoop, ChipImagesAreBitIdenticalToReferenceSampler) {
  const Network net = loop_network();
  const DdimSchedule s = read_ddim_schedule(net, "loop");
  ASSERT_EQ(s.pipeline_depth, 2u);
  ChipParams p = mesh_2x2_chip(8);  // 80 compartments over 10+ cores: every projection crosses the mesh
  const ChipProgram program = map_network(net, p);
  ASSERT_GT(program.cores_used, 4u);
  ChipBackend chip(net, program, p);
  ReferenceBackend ref(net);
  const SampleSet a = sample_images(chip, net, s, plan_ddim(s, 4), 3, 11, true, "chip");
  const SampleSet b = sample_images(ref, net, s, plan_ddim(s, 4), 3, 11, true, "reference");
  EXPECT_EQ(a.payloads, b.payloads);
  EXPECT_EQ(a.trajectory, b.trajectory);
  // The loop is not trivial: the images moved away from the noise, and the hidden layer fired.
  EXPECT_NE(a.payloads, a.noise);
  uint64_t spikes = 0;
  for (const auto& c : chip.counters().cores) spikes += c.spikes;
  EXPECT_GT(spikes, 100u);
  // 3 images x 4 DDIM steps x (T 3 + D 2) timesteps.
  EXPECT_EQ(chip.step_cycles().size(), 3u * 4 * 5);
}

TEST(FsddimLoop, ManagementComputeAddsItsCyclesToTheLatency) {
  const Network net = loop_network();
  const DdimSchedule s = read_ddim_schedule(net, "loop");
  ChipParams p = mesh_2x2_chip(8);
  p.management.update_cycles = 1000;
  const ChipProgram program = map_network(net, p);
  ChipBackend chip(net, program, p);
  sample_images(chip, net, s, plan_ddim(s, 2), 1, 3, false, "chip");
  uint64_t steps = 0;
  for (auto c : chip.step_cycles()) steps += c;
  // Two DDIM updates of T x 16 elements each, 1000 cycles per element. The first delays the next DDIM
  // step's writes (it is inside the timesteps' cycles); no timestep waits for the last one, but the image
  // is not done before it.
  EXPECT_EQ(chip.totals().management.compute_cycles, 2u * 3 * 16 * 1000);
  EXPECT_EQ(chip.cycle(), steps + 3u * 16 * 1000);
  EXPECT_EQ(chip.totals().management.updates, 2u * 3 * 16);
}

TEST(FsddimLoop, ManagementTrafficCrossesTheMeshAndIsPricedOnlyWhenTheTableHasAFigure) {
  const Network net = loop_network();
  const DdimSchedule s = read_ddim_schedule(net, "loop");
  ChipParams p = mesh_2x2_chip(8);
  p.management.router_x = 1;  // on router (1, 1)'s extra port
  p.management.router_y = 1;
  const ChipProgram program = map_network(net, p);
  ChipBackend chip(net, program, p);
  ReferenceBackend ref(net);
  const SampleSet a = sample_images(chip, net, s, plan_ddim(s, 2), 1, 5, false, "chip");
  const SampleSet b = sample_images(ref, net, s, plan_ddim(s, 2), 1, 5, false, "reference");
  EXPECT_EQ(a.payloads, b.payloads);
  const ManagementCounters m = chip.totals().management;
  // 2 DDIM steps x T = 3 timesteps read (after D = 2) of 16 readouts each; one request per readout segment.
  EXPECT_EQ(m.messages_in, 2u * 3 * 16);
  uint32_t readout_segments = 0;
  for (const auto& pl : program.placement[2]) readout_segments += pl.segment.count > 0;
  EXPECT_EQ(m.read_requests, 2u * 3 * readout_segments);
  EXPECT_EQ(m.resets, 2u * program.cores_used);
  EXPECT_EQ(m.messages_out, m.read_requests + m.writes + m.bias_writes + m.resets);
  EXPECT_GT(m.bias_writes, 0u);  // h's time embedding changes with the DDIM step
  EXPECT_EQ(m.busy_cycles, m.compute_cycles + 2 * (m.messages_out + m.messages_in));
  // Priced: the busy cycles at the table's figure, part of the total; absent: listed as unpriced.
  const ChipCounters c = chip.counters();
  EnergyTable t;
  t.hop_ew_pj = 3.0;
  const EnergyReport none = price_energy(c, t);
  EXPECT_EQ(none.management_j, 0.0);
  EXPECT_NE(std::find(none.unpriced.begin(), none.unpriced.end(), "management.cycle"), none.unpriced.end());
  t.management_cycle_pj = 10.0;
  const EnergyReport priced = price_energy(c, t);
  EXPECT_DOUBLE_EQ(priced.management_j, double(m.busy_cycles) * 10e-12);
  EXPECT_DOUBLE_EQ(priced.total_j,
                   priced.core_dynamic_j + priced.router_dynamic_j + priced.management_j + priced.static_j);
  EXPECT_EQ(std::find(priced.unpriced.begin(), priced.unpriced.end(), "management.cycle"), priced.unpriced.end());
}

}  // namespace spikemesh::testing
