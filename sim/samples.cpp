// Sampling images and writing them; see samples.h.
#include "samples.h"

#include <cmath>

#include "atomic_file.h"
#include "h5io.h"
#include "png_writer.h"

namespace spikemesh {

namespace {

// The set's description and every image's x_T: the same noise on every SNN timestep (FSDDIM's direct
// input encoding), image k from (seed, first_image + k).
SampleSet start_set(const Network& net, const DdimSchedule& s, const DdimPlan& plan, uint32_t images, uint64_t seed,
                    const std::string& backend_name, uint32_t first_image) {
  SampleSet set;
  set.shape = net.populations[s.input_population].shape;
  set.steps = static_cast<uint32_t>(plan.size());
  set.seed = seed;
  set.backend = backend_name;
  const uint64_t size = net.populations[s.input_population].size();
  for (uint32_t k = 0; k < images; ++k) set.noise.push_back(initial_x(s, size, seed, uint64_t{first_image} + k));
  return set;
}

}  // namespace

SampleSet sample_images(TimestepBackend& backend, const Network& net, const DdimSchedule& s, const DdimPlan& plan,
                        uint32_t images, uint64_t seed, bool trajectory, const std::string& backend_name,
                        DdimProgress* progress, uint32_t first_image) {
  SampleSet set = start_set(net, s, plan, images, seed, backend_name, first_image);
  for (uint32_t k = 0; k < images; ++k) {
    if (progress) progress->on_image(k, images);
    std::vector<std::vector<int32_t>> traj;
    set.payloads.push_back(sample_image(backend, s, plan, set.noise[k], trajectory ? &traj : nullptr, progress));
    set.images.push_back(payloads_to_image(set.payloads.back(), s));
    if (trajectory) set.trajectory.push_back(std::move(traj));
  }
  return set;
}

SampleSet sample_images_pipelined(TimestepBackend& backend, const Network& net, const DdimSchedule& s,
                                  const DdimPlan& plan, const PipelineLayout& layout, uint32_t in_flight,
                                  uint32_t images, uint64_t seed, bool trajectory, const std::string& backend_name,
                                  std::vector<PipelineSpan>* spans, DdimProgress* progress, uint32_t first_image) {
  SampleSet set = start_set(net, s, plan, images, seed, backend_name, first_image);
  set.payloads = sample_pipelined(backend, s, plan, layout, in_flight, set.noise,
                                  trajectory ? &set.trajectory : nullptr, spans, progress);
  for (const auto& x : set.payloads) set.images.push_back(payloads_to_image(x, s));
  return set;
}

namespace {
std::vector<int64_t> flatten(const std::vector<std::vector<int32_t>>& rows) {
  std::vector<int64_t> out;
  for (const auto& r : rows) out.insert(out.end(), r.begin(), r.end());
  return out;
}
}  // namespace

void write_samples_h5(const SampleSet& set, const DdimSchedule& s, const std::string& path) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    H5File f = H5File::create(tmp.string());
    f.write_attr_string("/", "format", "spikemesh-samples");
    f.write_attr_int("/", "version", 1);
    f.write_attr_string("/", "backend", set.backend);
    f.write_attr_int("/", "steps", set.steps);
    f.write_attr_int("/", "seed", static_cast<int64_t>(set.seed));
    f.write_attr_int("/", "snn_timesteps", s.snn_timesteps);
    f.write_attr_int("/", "payload_frac_bits", s.payload_frac_bits);
    f.write_attr_int("/", "pipeline_depth", s.pipeline_depth);
    const uint64_t n = set.images.size();
    Shape img{n};
    img.insert(img.end(), set.shape.begin(), set.shape.end());
    Shape pay{n, s.snn_timesteps};
    pay.insert(pay.end(), set.shape.begin(), set.shape.end());
    std::vector<double> pixels;
    for (const auto& im : set.images) pixels.insert(pixels.end(), im.begin(), im.end());
    f.write_reals("/images", pixels, img);
    f.write_ints("/payloads", flatten(set.payloads), pay, 4, true);
    f.write_ints("/noise", flatten(set.noise), pay, 4, true);
    if (!set.trajectory.empty()) {
      Shape tr{n, set.steps, s.snn_timesteps};
      tr.insert(tr.end(), set.shape.begin(), set.shape.end());
      std::vector<int64_t> all;
      for (const auto& per_image : set.trajectory) {
        const auto flat = flatten(per_image);
        all.insert(all.end(), flat.begin(), flat.end());
      }
      f.write_ints("/trajectory", all, tr, 4, true);
    }
  });
}

void write_samples_png(const SampleSet& set, const std::string& path) {
  const uint32_t h = set.shape.size() == 3 ? set.shape[1] : 1, w = set.shape.back();
  uint32_t gw = 0, gh = 0;
  const uint32_t columns = static_cast<uint32_t>(std::ceil(std::sqrt(double(set.images.size()))));
  const auto px = image_grid(set.images, h, w, columns, 2, &gw, &gh);
  write_png_gray(path, gw, gh, px);
}

double psnr_db(const std::vector<double>& a, const std::vector<double>& b) {
  double mse = 0.0;
  for (size_t i = 0; i < a.size(); ++i) mse += (a[i] - b[i]) * (a[i] - b[i]);
  mse /= static_cast<double>(a.size());
  return mse == 0.0 ? INFINITY : 10.0 * std::log10(4.0 / mse);
}

}  // namespace spikemesh
