// The FSDDIM loop on the chip (hosted mode): for the same seed its images are bit-identical to the
// fixed-point reference sampler's, it runs S x (T + D) timesteps per image, and the management core's
// compute time is part of the latency. One SystemC elaboration per test (one process each).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../ddim_loop_network.h"
#include "chip_backend.h"
#include "chip_harness.h"
#include "ddim_sampler.h"
#include "delay_balance.h"
#include "samples.h"

namespace spikemesh::testing {

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

// Pipelined on the chip: 3 images, 2 in flight (P = 6 timesteps per DDIM step: lanes of images {0, 2} and
// {1}), the same payloads and trajectories as the sequential reference sampler on the network without
// resets; 47 timesteps (lane 0's 8th step starts at 7 x 6 = 42 and ends at 42 + T + D - 1 = 46) instead
// of 3 x 4 x 5 = 60; the cores are reset once, and the bias registers follow each population's window.
TEST(FsddimLoop, PipelinedChipImagesEqualTheSequentialReferenceSampler) {
  const Network net = loop_network();
  const DdimSchedule s = read_ddim_schedule(net, "loop");
  const PipelineLayout layout = pipeline_layout(net, s, "loop");
  ASSERT_EQ(layout.max_in_flight, 2u);
  Network piped = net;
  enable_pipelining(piped, layout, s);
  ChipParams p = mesh_2x2_chip(8);
  const ChipProgram program = map_network(piped, p);
  ChipBackend chip(piped, program, p);
  std::vector<PipelineSpan> spans;
  const SampleSet a = sample_images_pipelined(chip, piped, s, plan_ddim(s, 4), layout, 2, 3, 11, true, "chip", &spans);
  ReferenceBackend ref(net);
  const SampleSet b = sample_images(ref, net, s, plan_ddim(s, 4), 3, 11, true, "reference");
  EXPECT_EQ(a.payloads, b.payloads);
  EXPECT_EQ(a.trajectory, b.trajectory);
  EXPECT_NE(a.payloads, a.noise);
  EXPECT_EQ(chip.step_cycles().size(), 47u);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].first_timestep, 3u);
  EXPECT_EQ(spans[1].last_timestep, 3u + 3 * 6 + 4);
  EXPECT_EQ(spans[2].first_timestep, 24u);
  const ManagementCounters m = chip.totals().management;
  EXPECT_EQ(m.resets, program.cores_used);
  EXPECT_EQ(m.updates, 3u * 4 * 3 * 16);
  EXPECT_GT(m.bias_writes, 0u);
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
