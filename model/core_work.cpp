// Expected work per core per timestep from firing rates; see core_work.h.
#include "core_work.h"

#include <string>

#include "error.h"

namespace spikemesh {

WorkRates work_rates(const MappingIndex& index, const std::vector<double>& rates) {
  const Network& net = index.net;
  if (rates.size() != index.neurons())
    throw Error("mapping: firing rates: expected one per neuron (" + std::to_string(index.neurons()) + "), got " +
                std::to_string(rates.size()));
  WorkRates w;
  w.rate = rates;
  w.synops_in.assign(index.neurons(), 0.0);
  w.pixel_rate.resize(net.projections.size());
  w.synops_by_projection.resize(net.projections.size());
  for (uint32_t j = 0; j < net.projections.size(); ++j) {
    const Projection& pr = net.projections[j];
    const ProjectionView& v = index.views[j];
    const double* src = rates.data() + v.src_offset;
    w.synops_by_projection[j].assign(v.nd, 0.0);
    double* dst = w.synops_by_projection[j].data();
    switch (v.kind) {
      case ProjKind::Dense: {  // every target has a synapse from every source
        double sum = 0.0;
        for (uint64_t s = 0; s < v.ns; ++s) sum += src[s];
        for (uint64_t t = 0; t < v.nd; ++t) dst[t] += sum;
        break;
      }
      case ProjKind::SparseLike:
        for (uint64_t t = 0; t < v.nd; ++t)
          for (uint64_t r = v.rbegin[t]; r < v.rbegin[t + 1]; ++r) dst[t] += src[v.rsrc[r]];
        break;
      case ProjKind::SharedConv: {
        // A target (co, pixel) has a synapse per kernel tap from each channel of co's group at each source
        // pixel that reaches it (one tap, or several when the conv upsamples); the chip's dendrite does one
        // op per tap (hw/neurocore.cpp).
        const ConvChannels& ch = v.ch;
        const uint32_t groups = pr.conv.groups;
        std::vector<double> group_rate(uint64_t{groups} * ch.in_pixels, 0.0);  // [group][source pixel]
        auto& pixel = w.pixel_rate[j];
        pixel.assign(ch.in_pixels, 0.0);
        for (uint64_t s = 0; s < v.ns; ++s) {
          const uint32_t ci = static_cast<uint32_t>(s / ch.in_pixels);
          const uint64_t q = s % ch.in_pixels;
          group_rate[uint64_t{ch.group_of_input(ci)} * ch.in_pixels + q] += src[s];
          pixel[q] += src[s];
        }
        for (uint64_t t = 0; t < v.nd; ++t) {
          const uint32_t g = static_cast<uint32_t>(t / ch.out_pixels) / ch.cout_per_group;
          const uint64_t pix = t % ch.out_pixels;
          for (uint64_t r = v.pbegin[pix]; r < v.pbegin[pix + 1]; ++r)
            dst[t] += group_rate[uint64_t{g} * ch.in_pixels + v.psrc[r]] * v.ptaps[r];
        }
        break;
      }
    }
    double* total = w.synops_in.data() + index.offset[pr.target];
    for (uint64_t t = 0; t < v.nd; ++t) total[t] += dst[t];
  }
  return w;
}

CoreWork price_core_work(const CoreParams& core, uint32_t compartments, double messages_in, double synops,
                         double messages_out) {
  CoreWork w;
  w.compartments = compartments;
  w.messages_in = messages_in;
  w.synops = synops;
  w.messages_out = messages_out;
  w.sweep_cycles = double(compartments) * core.update_active_cycles;
  w.dendrite_cycles = messages_in * core.axon_in_cycles + synops * core.synop_cycles;
  w.output_cycles = messages_out * core.axon_out_cycles;
  return w;
}

void WindowedWork::add(uint32_t start, double messages_in, double synops, double messages_out) {
  if (synops_at.size() <= start) {
    messages_in_at.resize(start + 1, 0.0);
    synops_at.resize(start + 1, 0.0);
    messages_out_at.resize(start + 1, 0.0);
  }
  messages_in_at[start] += messages_in;
  synops_at[start] += synops;
  messages_out_at[start] += messages_out;
}

double busiest_timestep_cycles(const CoreParams& core, uint32_t compartments, const WindowedWork& w, uint32_t length) {
  // Timestep t holds the windows that start in (t - length, t]: a sliding sum over the starts.
  const size_t n = w.synops_at.size();
  double in = 0.0, syn = 0.0, out = 0.0, busiest = price_core_work(core, compartments, 0.0, 0.0, 0.0).cycles();
  for (size_t t = 0; t < n + length; ++t) {
    if (t < n) in += w.messages_in_at[t], syn += w.synops_at[t], out += w.messages_out_at[t];
    if (t >= length && t - length < n)
      in -= w.messages_in_at[t - length], syn -= w.synops_at[t - length], out -= w.messages_out_at[t - length];
    busiest = std::max(busiest, price_core_work(core, compartments, in, syn, out).cycles());
  }
  return busiest;
}

std::vector<CoreWork> estimate_core_work(const MappingIndex& index, const WorkRates& work, const ChipProgram& program,
                                         const CoreParams& params) {
  const size_t n = program.cores.size();
  std::vector<double> in(n, 0.0), syn(n, 0.0), out(n, 0.0);
  // With windows: a message and the synaptic ops it causes happen when its source spikes (the source's
  // window; a delay-balanced synapse's delay acts after the dendrite), a spike's messages out in its
  // population's window.
  std::vector<WindowedWork> windows(work.windowed() ? n : 0);
  for (size_t c = 0; c < n; ++c) {
    const CoreProgram& core = program.cores[c];
    for (const CoreSegment& s : core.segments) {
      const uint32_t own = work.windowed() ? work.window_start[s.population] : 0;
      for (uint32_t k = 0; k < s.count; ++k) {
        const uint64_t i = s.first + k, g = index.offset[s.population] + i;
        const double r = work.rate[g];
        syn[c] += work.synops_in[g];
        const uint32_t b = core.out_begin[s.base + k], e = core.out_begin[s.base + k + 1];
        out[c] += r * (e - b);
        if (work.windowed()) {
          windows[c].add(own, 0.0, 0.0, r * (e - b));
          for (uint32_t j : index.incoming[s.population])
            windows[c].add(work.window_start[index.net.projections[j].source], 0.0, work.synops_by_projection[j][i],
                           0.0);
        }
        if (r > 0.0)
          for (uint32_t d = b; d < e; ++d) {
            in[core.out[d].core] += r;
            if (work.windowed()) windows[core.out[d].core].add(own, r, 0.0, 0.0);
          }
      }
    }
  }
  std::vector<CoreWork> w(n);
  for (size_t c = 0; c < n; ++c) {
    w[c] = price_core_work(params, program.cores[c].compartments, in[c], syn[c], out[c]);
    if (work.windowed())
      w[c].busiest_timestep_cycles =
          busiest_timestep_cycles(params, program.cores[c].compartments, windows[c], work.window_length);
  }
  return w;
}

double longest_core_cycles(const std::vector<CoreWork>& cores) {
  double m = 0.0;
  for (const CoreWork& w : cores) m = std::max(m, w.objective_cycles());
  return m;
}

}  // namespace spikemesh
