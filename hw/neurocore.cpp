// Neurocore; see neurocore.h for its units and timing contract.
#include "neurocore.h"

#include <algorithm>
#include <sstream>

#include "conv_taps.h"
#include "core_timing.h"
#include "error.h"
#include "synapse_memory.h"

namespace spikemesh {

Neurocore::Neurocore(sc_core::sc_module_name name, uint32_t index, const Network& net, const ChipProgram& chip,
                     const ChipParams& params, RunState& run, Router& router)
    : sc_module(name), index_(index), net_(net), chip_(chip), program_(chip.cores[index]), params_(params), run_(run),
      router_(router), local_(chip.geometry.place(index).local) {
  state_.resize(program_.compartments);
  slots_ = chip.max_delay + 2;
  acc_.assign(uint64_t{slots_} * program_.compartments, 0);
  decode();
}

void Neurocore::decode() {
  const auto& table = program_.formats;
  for (const InputAxonEntry& e : program_.input_axons) {
    Axon a;
    a.kind = e.kind;
    const Population& src = net_.populations[e.source_population];
    a.graded = src.kind == NeuronKind::Input;
    a.frac_bits = src.payload_frac_bits;
    if (e.kind == AxonKind::Discrete) {
      a.begin = synapses_.size();
      a.words = e.words;
      unpack_list(program_.synapse_words.data() + e.word_offset, e.words, table, [&](const UnpackedSynapse& s) {
        const SynapseFormat& f = table[s.format_id];
        synapses_.push_back({s.compartment, effective_weight(s.mantissa, f.weight), s.delay});
        ++(f.layout == BlockLayout::Dense ? a.synops_dense : a.synops_sparse);
      });
      a.end = synapses_.size();
    } else {
      a.kernel = e.kernel;
      a.y = e.pixel_y;
      a.x = e.pixel_x;
    }
    axons_.push_back(a);
  }
  for (const ConvKernelEntry& e : program_.kernels) {
    const Projection& pr = net_.projections[e.projection];
    const auto& ds = net_.populations[pr.target].shape;
    Kernel k;
    k.geometry = pr.conv;
    k.out_h = ds[1];
    k.out_w = ds[2];
    k.taps = pr.conv.kernel_h * pr.conv.kernel_w;
    k.out_pixels = uint64_t{ds[1]} * ds[2];
    for (const auto& s : program_.segments)
      if (s.population == pr.target) k.target = s;
    for (size_t ci = 0; ci < e.row_words.size(); ++ci) {
      KernelRow row;
      row.co_first = e.row_co_first[ci];
      row.co_count = e.row_co_count[ci];
      row.words = e.row_words[ci];
      unpack_list(program_.synapse_words.data() + e.row_offset[ci], e.row_words[ci], table, [&](const UnpackedSynapse& s) {
        row.weight.push_back(effective_weight(s.mantissa, table[s.format_id].weight));
        row.delay.push_back(s.delay);
      });
      if (row.weight.size() != uint64_t{row.co_count} * k.taps)
        throw Error("synaptic memory image: conv kernel row holds " + std::to_string(row.weight.size()) + " weights, expected " +
                    std::to_string(uint64_t{row.co_count} * k.taps));
      k.rows.push_back(std::move(row));
    }
    kernels_.push_back(std::move(k));
  }
}

void Neurocore::emit(uint32_t compartment, int32_t payload, uint64_t spike_cycle) {
  const auto& geo = chip_.geometry;
  for (uint32_t k = program_.out_begin[compartment]; k < program_.out_begin[compartment + 1]; ++k) {
    const Destination& d = program_.out[k];
    const ServiceSlot s = serve(spike_cycle, output_free_, params_.core.axon_out_cycles);
    output_free_ = s.finish;
    counters_.output_cycles += params_.core.axon_out_cycles;
    Flit f;
    f.dest_core = d.core;
    f.axon = d.axon;
    f.atom = d.atom;
    f.payload = payload;
    f.src_core = index_;
    f.id = run_.next_flit_id++;
    f.emitted_cycle = s.finish;
    const auto place = geo.place(d.core);
    f.dest_x = static_cast<uint16_t>(place.x);
    f.dest_y = static_cast<uint16_t>(place.y);
    f.dest_local = static_cast<uint16_t>(place.local);
    ++counters_.messages_out;
    ++run_.outstanding;
    router_.inject(local_, f, s.finish + params_.router.inject_cycles);
  }
}

void Neurocore::begin_step(uint32_t t, uint64_t t0) {
  t_ = t;
  output_free_ = std::max(output_free_, t0);
  const uint64_t slot = uint64_t{t % slots_} * program_.compartments;
  uint64_t cycle = t0;
  for (const CoreSegment& seg : program_.segments) {
    const Population& pop = net_.populations[seg.population];
    const uint64_t n = pop.size();
    uint8_t* spikes = run_.result->spikes[seg.population].data() + uint64_t{t} * n;
    if (pop.kind == NeuronKind::Input) {
      const auto& pay = run_.payloads[seg.population];
      for (uint32_t k = 0; k < seg.count; ++k) {
        const int32_t p = pay.empty() ? 0 : pay[seg.first + k];
        spikes[seg.first + k] = p != 0;
        if (p == 0) continue;
        ++counters_.spikes;
        emit(seg.base + k, p, cycle);
      }
      continue;
    }
    const bool can_spike = pop.kind == NeuronKind::Cuba;
    int32_t* currents = pop.kind == NeuronKind::Readout ? run_.result->currents[seg.population].data() + uint64_t{t} * n : nullptr;
    for (uint32_t k = 0; k < seg.count; ++k) {
      const uint32_t c = seg.base + k;
      const uint64_t i = seg.first + k;
      const int64_t q = static_cast<int32_t>(acc_[slot + c]);   // update_compartment wraps q to 22 bits
      acc_[slot + c] = 0;
      const int64_t bias = pop.bias_at(run_.context, t, i);
      const bool inactive = is_inactive_update(state_[c], q, bias);
      const CompartmentOutput out = update_compartment(state_[c], pop.param(i), q, bias, can_spike);
      cycle += update_cycles(params_.core, inactive);
      ++(inactive ? counters_.updates_inactive : counters_.updates_active);
      spikes[i] = out.spike;
      if (currents) currents[i] = out.current;
      if (out.spike) {
        ++counters_.spikes;
        emit(c, 1, cycle);
      }
    }
  }
  counters_.sweep_cycles += cycle - t0;
  sweep_end_ = cycle;
  counters_.busy_cycles = counters_.sweep_cycles + counters_.dendrite_cycles + counters_.output_cycles;
}

void Neurocore::receive(const Flit& f, uint64_t arrival) {
  const Axon& a = axons_[f.axon];
  uint64_t synops = 0;
  const uint32_t n = program_.compartments;
  auto slot_of = [&](uint32_t delay) { return uint64_t{(t_ + 1 + delay) % slots_} * n; };
  if (a.kind == AxonKind::Discrete) {
    counters_.words_read += a.words;
    counters_.synops_dense += a.synops_dense;
    counters_.synops_sparse += a.synops_sparse;
    synops = a.end - a.begin;
    for (uint64_t k = a.begin; k < a.end; ++k) {
      const Synapse& s = synapses_[k];
      add(slot_of(s.delay), s.compartment, a.graded ? graded_contribution(s.weight, f.payload, a.frac_bits) : s.weight);
    }
  } else {
    const Kernel& kern = kernels_[a.kernel];
    const KernelRow& row = kern.rows[f.atom];
    counters_.words_read += row.words;
    const uint64_t lo = kern.target.first, hi = kern.target.first + kern.target.count;
    for_each_conv_tap(kern.geometry, kern.out_h, kern.out_w, a.y, a.x, [&](uint64_t pix, uint32_t tap) {
      for (uint32_t j = 0; j < row.co_count; ++j) {
        const uint64_t target = uint64_t{row.co_first + j} * kern.out_pixels + pix;
        if (target < lo || target >= hi) continue;
        const uint32_t w = j * kern.taps + tap;
        const uint32_t c = kern.target.base + static_cast<uint32_t>(target - lo);
        add(slot_of(row.delay[w]), c, a.graded ? graded_contribution(row.weight[w], f.payload, a.frac_bits) : row.weight[w]);
        ++synops;
      }
    });
    counters_.synops_conv += synops;
  }
  const uint64_t cycles = message_service_cycles(params_.core, synops);
  const ServiceSlot s = serve(arrival, dendrite_free_, cycles);
  dendrite_free_ = s.finish;
  eject_credit_->give_back(s.start + 1);
  while (!waiting_starts_.empty() && waiting_starts_.front() < arrival) waiting_starts_.pop();
  waiting_starts_.push(s.start);
  counters_.peak_input_fifo = std::max<uint64_t>(counters_.peak_input_fifo, waiting_starts_.size());
  counters_.dendrite_cycles += cycles;
  counters_.busy_cycles = counters_.sweep_cycles + counters_.dendrite_cycles + counters_.output_cycles;
  ++counters_.messages_in;
  if (--run_.outstanding == 0) run_.drained->notify(sc_core::SC_ZERO_TIME);
}

std::string Neurocore::describe_state(uint64_t now) const {
  std::ostringstream os;
  os << name() << ": sweep done @" << sweep_end_ << ", output stage free @" << output_free_ << ", dendrite free @"
     << dendrite_free_ << (dendrite_free_ > now ? " (busy)" : "") << ", sent " << counters_.messages_out << ", received "
     << counters_.messages_in;
  return os.str();
}

}  // namespace spikemesh
