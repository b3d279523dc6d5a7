// Exact incremental resource accounting of the core being filled, and the per-core fit errors; see
// core_accounting.h.
#include "core_accounting.h"

#include <sstream>
#include <string>

#include "core_work.h"

namespace spikemesh {

CoreAccounting::CoreAccounting(const MappingIndex& index, const ChipParams& chip) : index_(index), chip_(chip) {
  const Network& net = index.net;
  fill_.resize(index.views.size());
  for (uint32_t j = 0; j < index.views.size(); ++j) {
    const ProjectionView& v = index.views[j];
    ProjectionFill& f = fill_[j];
    if (v.kind == ProjKind::SparseLike) {
      f.seg_stamp.assign(v.ns, 0);
      f.seg_cnt.assign(v.ns, 0);
    } else if (v.kind == ProjKind::SharedConv) {
      const Projection& pr = net.projections[j];
      f.chan_stamp.assign(net.populations[pr.target].shape[0], 0);
      f.group_stamp.assign(pr.conv.groups, 0);
      f.group_k.assign(pr.conv.groups, 0);
      f.pix_stamp.assign(v.ch.in_pixels, 0);
    }
  }
}

void CoreAccounting::begin(const std::vector<uint32_t>& out_estimate, const std::vector<uint32_t>* out_messages) {
  out_estimate_ = &out_estimate;
  out_messages_ = out_messages ? out_messages : &out_estimate;
  axon_stamp_.assign(index_.neurons(), 0);
  ++serial_;
  use_ = CoreTally{};
}

void CoreAccounting::next_core() {
  ++serial_;
  use_ = CoreTally{};
}

void CoreAccounting::set_work_cap(const WorkRates* work, double max_core_cycles) {
  work_ = work;
  max_core_cycles_ = max_core_cycles;
}

double CoreAccounting::tally_cycles() const {
  if (!work_) return 0.0;
  if (work_->windowed())
    return busiest_timestep_cycles(chip_.core, static_cast<uint32_t>(use_.compartments), use_.windows,
                                   work_->window_length);
  return price_core_work(chip_.core, static_cast<uint32_t>(use_.compartments), use_.messages_in, use_.synops,
                         use_.messages_out)
      .cycles();
}

void CoreAccounting::set(uint32_t& slot, uint32_t value) {
  log_.emplace_back(&slot, slot);
  slot = value;
}

void CoreAccounting::charge_window(uint32_t population, double messages_in, double synops, double messages_out) {
  if (work_->windowed()) use_.windows.add(work_->window_start[population], messages_in, synops, messages_out);
}

void CoreAccounting::claim_axon(uint64_t global, uint32_t source) {
  if (axon_stamp_[global] != serial_) {
    set(axon_stamp_[global], serial_);
    ++use_.input_axons;
    if (work_) {  // one message per spike of the source
      use_.messages_in += work_->rate[global];
      charge_window(source, work_->rate[global], 0.0, 0.0);
    }
  }
}

// Charges neuron i of population P to the core being filled (every change logged in log_).
void CoreAccounting::account(uint32_t P, uint64_t i) {
  ++use_.compartments;
  const uint64_t global = index_.offset[P] + i;
  use_.output_axons += (*out_estimate_)[global];
  if (work_) {
    use_.synops += work_->synops_in[global];
    const double out = work_->rate[global] * (*out_messages_)[global];
    use_.messages_out += out;
    charge_window(P, 0.0, 0.0, out);
  }
  for (uint32_t j : index_.incoming[P]) {
    const ProjectionView& v = index_.views[j];
    ProjectionFill& f = fill_[j];
    const uint32_t source = index_.net.projections[j].source;
    if (work_) charge_window(source, 0.0, work_->synops_by_projection[j][i], 0.0);
    switch (v.kind) {
      case ProjKind::Dense: {  // every source has a list on the core: one more target lengthens each
        if (f.dense_stamp != serial_) {
          set(f.dense_stamp, serial_);
          set(f.dense_n, 0);
        }
        const uint32_t n = f.dense_n;
        if (n == 0)
          for (uint64_t s = 0; s < v.ns; ++s) claim_axon(v.src_offset + s, source);
        use_.synapse_words += v.ns * (list_words(v.format, n + 1) - list_words(v.format, n));
        set(f.dense_n, n + 1);
        break;
      }
      case ProjKind::SparseLike:  // each synapse lengthens its source's list
        for (uint64_t r = v.rbegin[i]; r < v.rbegin[i + 1]; ++r) {
          const uint32_t s = v.rsrc[r];
          claim_axon(v.src_offset + s, source);
          if (f.seg_stamp[s] != serial_) {
            set(f.seg_stamp[s], serial_);
            set(f.seg_cnt[s], 0);
          }
          const uint32_t c = f.seg_cnt[s];
          use_.synapse_words += list_words(v.format, c + 1) - list_words(v.format, c);
          set(f.seg_cnt[s], c + 1);
        }
        break;
      case ProjKind::SharedConv: {  // a new output channel adds its taps to its group's kernel rows
        const uint32_t co = static_cast<uint32_t>(i / v.ch.out_pixels);
        const uint64_t pix = i % v.ch.out_pixels;
        if (f.chan_stamp[co] != serial_) {
          set(f.chan_stamp[co], serial_);
          const uint32_t g = co / v.ch.cout_per_group;
          if (f.group_stamp[g] != serial_) {
            set(f.group_stamp[g], serial_);
            set(f.group_k[g], 0);
          }
          const uint32_t k = f.group_k[g];
          use_.synapse_words += uint64_t{v.ch.cin_per_group} * (list_words(v.format, uint64_t{k + 1} * v.ch.taps) -
                                                                list_words(v.format, uint64_t{k} * v.ch.taps));
          set(f.group_k[g], k + 1);
        }
        for (uint64_t r = v.pbegin[pix]; r < v.pbegin[pix + 1]; ++r)  // one population axon per source pixel
          if (f.pix_stamp[v.psrc[r]] != serial_) {
            set(f.pix_stamp[v.psrc[r]], serial_);
            ++use_.input_axons;
            if (work_) {
              use_.messages_in += work_->pixel_rate[j][v.psrc[r]];
              charge_window(source, work_->pixel_rate[j][v.psrc[r]], 0.0, 0.0);
            }
          }
        break;
      }
    }
  }
}

bool CoreAccounting::within_limits(bool was_empty) const {
  const auto& c = chip_.core;
  return use_.compartments <= c.compartments && use_.input_axons <= c.input_axons &&
         use_.synapse_words <= c.synapse_words && use_.output_axons <= c.output_axons &&
         (was_empty || !work_ || tally_cycles() <= max_core_cycles_);
}

void CoreAccounting::undo(const CoreTally& before) {
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) *it->first = it->second;
  use_ = before;
}

bool CoreAccounting::try_add(uint32_t P, const uint64_t* ids, size_t n) {
  log_.clear();
  const CoreTally before = use_;
  for (size_t k = 0; k < n; ++k) account(P, ids[k]);
  if (within_limits(before.compartments == 0)) return true;
  failed_ = use_;
  undo(before);
  return false;
}

// The trial runs under a serial of its own, restored after: it is never left in a stamp.
bool CoreAccounting::fits_empty(uint32_t P, const uint64_t* ids, size_t n) {
  const CoreTally saved = use_;
  const uint32_t saved_serial = serial_;
  ++serial_;
  use_ = CoreTally{};
  log_.clear();
  for (size_t k = 0; k < n; ++k) account(P, ids[k]);
  const bool fits = within_limits(true);
  undo(saved);
  serial_ = saved_serial;
  return fits;
}

void CoreAccounting::fail_single(uint32_t P, uint64_t i) const {
  const auto& c = chip_.core;
  const std::string& name = index_.net.populations[P].name;
  const std::string who = "population '" + name + "' (neuron " + std::to_string(i) + ")";
  std::ostringstream os;
  if (failed_.input_axons > c.input_axons) {
    os << who << ": resource input axons: one neuron needs " << failed_.input_axons << " input axons, a core has "
       << c.input_axons << " (" << core_key("input_axons") << ")";
    fail_mapping(os.str(), name, "input axons", failed_.input_axons, c.input_axons);
  }
  if (failed_.synapse_words > c.synapse_words) {
    os << who << ": resource synapse words: one neuron needs " << failed_.synapse_words
       << " 64-bit synapse words, a core has " << c.synapse_words << " (" << core_key("synapse_words") << ")";
    fail_mapping(os.str(), name, "synapse words", failed_.synapse_words, c.synapse_words);
  }
  if (failed_.output_axons > c.output_axons) {
    os << who << ": resource output axons: one neuron needs " << failed_.output_axons << " output axons, a core has "
       << c.output_axons << " (" << core_key("output_axons") << ")";
    fail_mapping(os.str(), name, "output axons", failed_.output_axons, c.output_axons);
  }
  os << who << ": resource compartments: needs 1, a core has " << c.compartments << " (" << core_key("compartments")
     << ")";
  fail_mapping(os.str(), name, "compartments", 1, c.compartments);
}

void check_graded_spikes(const Network& net, const ChipParams& chip) {
  if (chip.core.graded_spikes) return;
  for (const auto& p : net.populations)
    if ((p.kind == NeuronKind::Input && p.payload_bits > 1) || p.kind == NeuronKind::Sdnn)
      fail_mapping("population '" + p.name + "': resource graded spikes: needs " + std::to_string(p.payload_bits) +
                       "-bit spike payloads, a core sends binary spikes only (" + core_key("graded_spikes") +
                       " = false)",
                   p.name, "graded spikes", p.payload_bits, 1);
}

}  // namespace spikemesh
