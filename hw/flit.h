// The messages of the mesh (docs/sources.md#messages). Every message is a single flit (Loihi spikes are
// 32-bit messages): a spike, addressed to a core and one of its input axons, with the atom of a population axon and a
// graded payload; or one of the management messages Loihi's NoC also carries ("write, read request, and
// read response messages for core management"), exchanged with the management core
// (hw/management_core.h). A management message carries one 32-bit value, like a graded spike: an address
// (population and neuron, or bias column) and one value. Also: the receiving side of a link, and a
// growable ring FIFO.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

namespace spikemesh {

// What a flit is, and what its axon / atom / payload fields mean.
enum class MessageKind : uint8_t {
  Spike,         // axon: input axon; atom: population-axon atom; payload: graded payload (1: binary)
  ReadRequest,   // to a core: atom: population; axon: first neuron; payload: neuron count (one response each)
  ReadResponse,  // to the management core: atom: population; axon: neuron; payload: its readout current
  Write,         // to a core: atom: population; axon: neuron; payload: the input compartment's next payload
  BiasWrite,     // to a core: atom: population; axon: bias-table column; payload: the column's bias mantissa
  Reset,         // to a core: zero every compartment's state and every delay slot (a new network call)
};
const char* to_string(MessageKind k);

struct Flit {
  uint32_t axon = 0;    // input axon at the destination core
  uint32_t atom = 0;    // input channel for a population axon
  int32_t payload = 1;  // graded spike payload; 1 for a binary spike
  uint32_t src_core = 0;
  // Simulation annotation, not on the wire: the destination axon's list length, copied from the output
  // axon table so the receiving core books its service time without a table lookup (Destination::synapses).
  uint32_t list_synapses = 0;
  uint16_t dest_x = 0, dest_y = 0, dest_local = 0;  // destination router and local port (the address)
  MessageKind kind = MessageKind::Spike;
  // Simulation annotation: a write or bias write whose value the receiving core's double-buffered register
  // took when the timestep began (chip.management.overlap_writes); the core only serves it (its timing).
  bool timing_only = false;
  // Simulation annotation: cycles it waited in the source core's output queue after its inject latency,
  // because the router had not yet taken the core's previous message (critical-path attribution).
  uint32_t queued_cycles = 0;
  uint64_t id = 0;             // unique per run (scoreboards, traces)
  uint64_t emitted_cycle = 0;  // cycle the source handed it to its router's local port

  bool operator==(const Flit& o) const {
    return axon == o.axon && atom == o.atom && payload == o.payload && src_core == o.src_core &&
           list_synapses == o.list_synapses && dest_x == o.dest_x && dest_y == o.dest_y && dest_local == o.dest_local &&
           kind == o.kind && timing_only == o.timing_only && queued_cycles == o.queued_cycles && id == o.id &&
           emitted_cycle == o.emitted_cycle;
  }
};
static_assert(sizeof(Flit) == 48, "48 bytes, stored once in FlitPool; router buffers hold 16-byte handle entries");

inline std::ostream& operator<<(std::ostream& os, const Flit& f) {
  if (f.kind != MessageKind::Spike)
    return os << "flit#" << f.id << "{" << to_string(f.kind) << " core " << f.src_core << " -> router " << f.dest_x
              << "," << f.dest_y << " local " << f.dest_local << ", population " << f.atom << ", index " << f.axon
              << ", value " << f.payload << ", emitted @" << f.emitted_cycle << "}";
  return os << "flit#" << f.id << "{core " << f.src_core << " -> router " << f.dest_x << "," << f.dest_y << " local "
            << f.dest_local << ", axon " << f.axon << ", atom " << f.atom << ", payload " << f.payload << ", emitted @"
            << f.emitted_cycle << "}";
}

inline const char* to_string(MessageKind k) {
  switch (k) {
    case MessageKind::Spike:
      return "spike";
    case MessageKind::ReadRequest:
      return "read request";
    case MessageKind::ReadResponse:
      return "read response";
    case MessageKind::Write:
      return "write";
    case MessageKind::BiasWrite:
      return "bias write";
    case MessageKind::Reset:
      return "reset";
  }
  return "?";
}

// The receiving end of a link: a router input buffer, a core's input FIFO, a testbench sink. The sender
// has already reserved a slot with a credit; the flit is there (eligible) from `arrival_cycle` on.
class FlitReceiver {
 public:
  virtual ~FlitReceiver() = default;
  virtual void receive(const Flit& f, uint64_t arrival_cycle) = 0;
};

// The sending end's credit counter, seen from the receiver: a slot is given back, usable from a cycle on.
class CreditReturn {
 public:
  virtual ~CreditReturn() = default;
  virtual void give_back(uint64_t usable_at) = 0;
};

// Where the flits in a mesh live while they travel: routers pass 4-byte handles between their buffers and
// touch a flit's contents only where it enters (inject) and leaves (eject) the mesh.
class FlitPool {
 public:
  uint32_t put(const Flit& f) {
    if (free_.empty()) {
      flits_.push_back(f);
      return static_cast<uint32_t>(flits_.size() - 1);
    }
    const uint32_t i = free_.back();
    free_.pop_back();
    flits_[i] = f;
    return i;
  }
  const Flit& operator[](uint32_t i) const { return flits_[i]; }
  void release(uint32_t i) { free_.push_back(i); }
  size_t live() const { return flits_.size() - free_.size(); }

 private:
  std::vector<Flit> flits_;
  std::vector<uint32_t> free_;
};

// A flit's destination packed for routing: x (12 bits) | y (12 bits) | local port (8 bits).
inline uint32_t pack_address(uint32_t x, uint32_t y, uint32_t local) { return x | y << 12 | local << 24; }

// Ring FIFO that grows by doubling (router buffers are bounded by credits; a core's output queue is not).
template <class T>
class RingFifo {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  const T& at(size_t k) const { return buf_[(head_ + k) & (buf_.size() - 1)]; }
  void push(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  void pop() {
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }

 private:
  void grow() {
    std::vector<T> b(buf_.empty() ? 8 : buf_.size() * 2);
    for (size_t k = 0; k < size_; ++k) b[k] = at(k);
    buf_.swap(b);
    head_ = 0;
  }
  std::vector<T> buf_;
  size_t head_ = 0, size_ = 0;
};

}  // namespace spikemesh
