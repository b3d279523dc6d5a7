// Hand-built networks and chips for the mapper's step tests (partition, accounting, tables): small
// enough that every count can be worked out by hand.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "chip_params.h"
#include "network.h"

namespace spikemesh::testing {

inline Population pop(const std::string& name, std::vector<uint32_t> shape, NeuronKind kind = NeuronKind::Cuba) {
  Population p;
  p.name = name;
  p.shape = std::move(shape);
  p.kind = kind;
  p.params = {CompartmentParams{}};
  return p;
}

// All-to-all, every weight 10, no delays.
inline Projection dense(uint32_t src, uint32_t dst, uint64_t synapses) {
  Projection pr;
  pr.name = "d";
  pr.source = src;
  pr.target = dst;
  pr.encoding = Encoding::Dense;
  pr.weights.assign(synapses, 10);
  return pr;
}

// Listed synapses (pre[k] -> post[k]), every weight 10, no delays.
inline Projection sparse(uint32_t src, uint32_t dst, std::vector<uint32_t> pre, std::vector<uint32_t> post) {
  Projection pr;
  pr.name = "s";
  pr.source = src;
  pr.target = dst;
  pr.encoding = Encoding::Sparse;
  pr.weights.assign(pre.size(), 10);
  pr.pre = std::move(pre);
  pr.post = std::move(post);
  return pr;
}

// 3x3 kernel, padding 1 (output the size of the input), every weight 4.
inline Projection conv3x3(uint32_t src, uint32_t dst, uint32_t cin, uint32_t cout) {
  Projection pr;
  pr.name = "conv";
  pr.source = src;
  pr.target = dst;
  pr.encoding = Encoding::Conv;
  pr.conv.kernel_h = pr.conv.kernel_w = 3;
  pr.conv.pad_y = pr.conv.pad_x = 1;
  pr.weights.assign(uint64_t{cout} * cin * 9, 4);
  return pr;
}

// in (4) -dense-> A (`targets`): every target hears all 4 sources.
inline Network dense_net(uint32_t targets = 6) {
  Network net;
  net.populations = {pop("in", {4}, NeuronKind::Input), pop("A", {targets})};
  net.projections = {dense(0, 1, uint64_t{4} * targets)};
  return net;
}

// in (3) -sparse {0->0, 1->0, 1->1}-> B (2)
inline Network sparse_net() {
  Network net;
  net.populations = {pop("in", {3}, NeuronKind::Input), pop("B", {2})};
  net.projections = {sparse(0, 1, {0, 1, 1}, {0, 0, 1})};
  return net;
}

// `cores` routers in a row, one core each.
inline ChipParams row_chip(uint32_t compartments, uint32_t cores = 4) {
  ChipParams p;
  p.mesh = {1, 1, cores, 1, 1};
  p.core.compartments = compartments;
  return p;
}

}  // namespace spikemesh::testing
