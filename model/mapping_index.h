// What every step of the mapper reads about the network, built once: the global neuron numbering, each
// population's incoming projections, and per projection its synapse format and a reverse (by target) view
// of its synapses. Also the mapper's one way to fail (a MappingError naming the resource).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chip_params.h"
#include "conv_taps.h"
#include "mapping.h"
#include "network.h"
#include "synapse_memory.h"

namespace spikemesh {

// How a projection's synapses are held on a target core: dense lists, sparse lists (sparse, one-to-one,
// and conv expanded to synapses), or one shared kernel per core reached through population axons.
enum class ProjKind : uint8_t { Dense, SparseLike, SharedConv };

// Reverse (by target) view of one projection's synapses.
struct ProjectionView {
  ProjKind kind = ProjKind::Dense;
  SynapseFormat format;
  uint64_t ns = 0, nd = 0;
  uint64_t src_offset = 0;  // global index of the source's neuron 0
  // SparseLike: CSR over targets of (source neuron, weight index)
  std::vector<uint64_t> rbegin;
  std::vector<uint32_t> rsrc;
  std::vector<uint64_t> rk;
  // SharedConv: CSR over output pixels of the source pixels that reach them (deduplicated), and through how
  // many kernel taps each does (more than one when the conv upsamples: the synaptic ops of one message)
  ConvChannels ch;
  std::vector<uint64_t> pbegin;
  std::vector<uint32_t> psrc, ptaps;
};

struct MappingIndex {
  // `net` (validated) must outlive the index.
  MappingIndex(const Network& net, const ChipParams& chip);

  const Network& net;
  uint8_t index_bits = 10;                      // compartment index width of sparse records
  uint32_t max_delay = 0;                       // largest synaptic delay of any projection
  std::vector<uint64_t> offset;                 // per population + 1: global index of its neuron 0
  std::vector<std::vector<uint32_t>> incoming;  // per population: the projections that target it
  std::vector<ProjectionView> views;            // per projection
  // chip.core.shared_output_axons: per population, per channel, its output-sharing class (channels of one
  // pixel with the same class have the same destinations but for the atom); empty: the population's
  // compartments share nothing (sharing off, or a projection out of it that is not a shared-kernel conv).
  std::vector<std::vector<uint32_t>> output_class;

  uint64_t neurons() const { return offset.back(); }
  bool shares_output(uint32_t P) const { return !output_class.empty() && !output_class[P].empty(); }
  uint32_t population_of(uint64_t global) const;
  uint64_t pixels_of(uint32_t population) const;  // H * W of a (C, H, W) population
  // Neuron i of population P shares its output axons with the other neurons of P with the same key on its
  // core (a global index: P's offset + class * pixels + pixel); only for populations with output_class.
  uint64_t output_share_key(uint32_t P, uint64_t i) const {
    const uint64_t pixels = pixels_of(P);
    return offset[P] + output_class[P][i / pixels] * pixels + i % pixels;
  }

 private:
  void classify_output_sharing(const ChipParams& chip);
};

// The config key of a per-core capacity, for error messages: "chip.core.<field>".
std::string core_key(const char* field);

[[noreturn]] void fail_mapping(const std::string& msg, const std::string& population, const std::string& resource,
                               uint64_t need, uint64_t capacity);

}  // namespace spikemesh
