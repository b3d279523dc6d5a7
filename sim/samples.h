// Generated images of a DDIM run and how they are written: DIR/samples.png (a grid) and DIR/samples.h5.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ddim_sampler.h"
#include "network.h"

namespace spikemesh {

struct SampleSet {
  std::vector<uint32_t> shape;  // the image (C, H, W)
  uint32_t steps = 0;           // S
  uint64_t seed = 0;
  std::string backend;                                        // "reference" or "chip"
  std::vector<std::vector<int32_t>> noise;                    // per image: x_T payloads (T x size)
  std::vector<std::vector<int32_t>> payloads;                 // per image: final payloads (T x size)
  std::vector<std::vector<double>> images;                    // per image: mean over T, in [-1, 1] (size)
  std::vector<std::vector<std::vector<int32_t>>> trajectory;  // per image, per DDIM step (optional)
};

// Runs the fixed-point sampler for `images` images on `backend` (the images are independent: seeds
// (seed, image index)), the first of them image `first_image`, so that a set can be made in parallel
// pieces whose images equal those of one run. `progress` hears of each image and DDIM step.
SampleSet sample_images(TimestepBackend& backend, const Network& net, const DdimSchedule& s, const DdimPlan& plan,
                        uint32_t images, uint64_t seed, bool trajectory, const std::string& backend_name,
                        DdimProgress* progress = nullptr, uint32_t first_image = 0);

// The same images with `in_flight` of them on the backend at a time (model/ddim_sampler.h
// sample_pipelined; the backend runs the network after enable_pipelining): the same payloads as
// sample_images. `spans`, when given, receives each image's first and last timestep.
SampleSet sample_images_pipelined(TimestepBackend& backend, const Network& net, const DdimSchedule& s,
                                  const DdimPlan& plan, const PipelineLayout& layout, uint32_t in_flight,
                                  uint32_t images, uint64_t seed, bool trajectory, const std::string& backend_name,
                                  std::vector<PipelineSpan>* spans = nullptr, DdimProgress* progress = nullptr,
                                  uint32_t first_image = 0);

// samples.h5: /images (N, C, H, W) float64 in [-1, 1]; /payloads and /noise (N, T, C, H, W) int32 (Q.P);
// /trajectory (N, S, T, C, H, W) int32 when recorded; root attributes steps, seed, snn_timesteps,
// payload_frac_bits, pipeline_depth, backend.
void write_samples_h5(const SampleSet& set, const DdimSchedule& s, const std::string& path);
void write_samples_png(const SampleSet& set, const std::string& path);

// PSNR in dB of `a` against `b` (both in [-1, 1], peak-to-peak 2).
double psnr_db(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace spikemesh
