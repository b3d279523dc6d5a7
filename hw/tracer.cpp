// Waveform recorder; see tracer.h.
#include "tracer.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "error.h"

namespace spikemesh {
namespace {

// VCD identifier codes: printable ASCII 33..126, base 94, shortest first.
std::string vcd_id(uint64_t k) {
  std::string s;
  do {
    s += static_cast<char>(33 + k % 94);
    k /= 94;
  } while (k > 0);
  return s;
}

uint32_t width_of(Tracer::Kind k) { return k == Tracer::Kind::Wire ? 1 : 32; }

// A value change line: "1!" for a wire, "b101 !" for an integer (two's complement, leading zeros dropped:
// VCD extends a vector's value with zeros on the left).
void value_line(std::string& out, Tracer::Kind kind, int64_t value, const std::string& id) {
  if (kind == Tracer::Kind::Wire) {
    out += value > 0 ? '1' : '0';
  } else {
    const uint32_t v = static_cast<uint32_t>(static_cast<int32_t>(value));
    out += 'b';
    int msb = 31;
    while (msb > 0 && !((v >> msb) & 1u)) --msb;
    for (int b = msb; b >= 0; --b) out += ((v >> b) & 1u) ? '1' : '0';
    out += ' ';
  }
  out += id;
  out += '\n';
}

}  // namespace

Tracer::Tracer(TraceParams params, TraceSelection selection) : p_(std::move(params)), sel_(std::move(selection)) {}

bool Tracer::selected(const std::string& name) const {
  for (const auto& pat : sel_.patterns)
    if (fnmatch(pat.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

uint32_t Tracer::declare(const std::string& name, Kind kind, uint64_t max_changes_per_step) {
  if (!p_.vcd) return kNone;
  if (declared_++ == 0) first_declared_ = name;
  if (!selected(name)) return kNone;
  signals_.push_back({name, kind, max_changes_per_step});
  return static_cast<uint32_t>(signals_.size() - 1);
}

uint64_t Tracer::estimated_vcd_bytes() const {
  // Header: the declarations (scope lines are fewer than variables), plus fixed text. Body: per change at
  // most a value line and a timestamp line ("#" + 20 digits + newline).
  uint64_t bytes = 512, per_step = 0;
  for (uint64_t k = 0; k < signals_.size(); ++k) {
    const Signal& s = signals_[k];
    const uint64_t id = vcd_id(k).size();
    bytes += 2 * (s.name.size() + id + 48);
    const uint64_t line = (s.kind == Kind::Wire ? 1 : 34) + id + 1;
    bytes += line;  // its initial value
    per_step += s.max_changes * (line + 22);
  }
  return bytes + per_step * sel_.window_timesteps;
}

void Tracer::check_size() const {
  if (p_.vcd && declared_ > 0 && signals_.empty())
    throw Error("trace.signals = '" + p_.signals + "' selects none of the chip's " + std::to_string(declared_) +
                " signals (for example '" + first_declared_ +
                "'; names are hierarchical, e.g. 'chip.core_0.*,chip.timestep'): the VCD would be empty");
  if (p_.max_vcd_bytes == 0) return;
  const uint64_t est = estimated_vcd_bytes();
  if (est <= p_.max_vcd_bytes) return;
  std::ostringstream os;
  os << "trace: the VCD could reach " << est << " bytes (" << signals_.size() << " signals over "
     << sel_.window_timesteps
     << " timesteps, bounded by every neuron spiking in every timestep), above the cap trace.max_vcd_bytes = "
     << p_.max_vcd_bytes
     << ". Narrow it: select fewer signals with trace.signals (e.g. \"chip.core_0.*,chip.timestep\"), "
     << "shorten the window with trace.timestep_first / trace.timestep_count (in the FSDDIM loop also "
     << "trace.ddim_step_first / trace.ddim_step_count), or raise trace.max_vcd_bytes";
  throw Error(os.str());
}

void Tracer::step_begin(uint32_t t, uint32_t t_local, uint32_t call, uint64_t cycle) {
  const bool in_t =
      t_local >= p_.timestep_first && (p_.timestep_count == 0 || t_local - p_.timestep_first < p_.timestep_count);
  const bool in_c =
      call >= p_.ddim_step_first && (p_.ddim_step_count == 0 || call - p_.ddim_step_first < p_.ddim_step_count);
  Step s;
  s.t = t, s.t_local = t_local, s.call = call, s.start_cycle = cycle, s.in_window = in_t && in_c;
  steps_.push_back(s);
  in_window_ = s.in_window;
  on_ = s.in_window && !signals_.empty();
  if (s.in_window) {
    probe_u_.emplace_back(probe_names_.size(), 0);
    probe_v_.emplace_back(probe_names_.size(), 0);
  }
}

void Tracer::step_end(uint64_t cycle) {
  steps_.back().end_cycle = cycle;
  on_ = in_window_ = false;
}

void Tracer::write_vcd(std::ostream& os) const {
  // Header: no date (same config, same bytes). Scopes from the dotted names, in declaration order.
  std::string out;
  out += "$version spikemesh cycle-accurate chip model $end\n";
  out +=
      "$comment one time unit is one cycle of the notional clock (chip.clock_mhz), the SystemC kernel time "
      "unit; written from cycle-stamped events, not sc_trace (see hw/tracer.h) $end\n";
  out += "$timescale 1ns $end\n";
  std::vector<std::string> open;
  for (uint64_t k = 0; k < signals_.size(); ++k) {
    std::vector<std::string> parts;
    std::stringstream ss(signals_[k].name);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    const std::string var = parts.back();
    parts.pop_back();
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    while (open.size() > common) {
      out += "$upscope $end\n";
      open.pop_back();
    }
    for (size_t i = common; i < parts.size(); ++i) {
      out += "$scope module " + parts[i] + " $end\n";
      open.push_back(parts[i]);
    }
    const Kind kind = signals_[k].kind;
    out += "$var " + std::string(kind == Kind::Wire ? "wire" : "integer") + " " + std::to_string(width_of(kind)) + " " +
           vcd_id(k) + " " + var + " $end\n";
  }
  while (!open.empty()) {
    out += "$upscope $end\n";
    open.pop_back();
  }
  out += "$enddefinitions $end\n";

  // Values: stable sort by cycle (a signal set twice in one cycle keeps the later value), sum the deltas,
  // emit the signals whose value differs at the end of each cycle.
  std::vector<uint32_t> order(events_.size());
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return events_[a].cycle < events_[b].cycle; });
  std::vector<int64_t> value(signals_.size(), 0), shown(signals_.size(), 0);
  std::vector<std::string> ids(signals_.size());
  for (uint64_t k = 0; k < signals_.size(); ++k) ids[k] = vcd_id(k);
  const uint64_t first = events_.empty() ? 0 : events_[order.front()].cycle;
  out += "#" + std::to_string(first) + "\n$dumpvars\n";
  for (uint64_t k = 0; k < signals_.size(); ++k) value_line(out, signals_[k].kind, 0, ids[k]);
  out += "$end\n";
  auto shown_value = [&](uint32_t s) { return signals_[s].kind == Kind::Wire ? int64_t{value[s] > 0} : value[s]; };
  std::vector<uint32_t> touched;
  std::vector<uint8_t> is_touched(signals_.size(), 0);
  for (size_t i = 0; i < order.size();) {
    const uint64_t cycle = events_[order[i]].cycle;
    for (; i < order.size() && events_[order[i]].cycle == cycle; ++i) {
      const Event& e = events_[order[i]];
      value[e.sig] = e.absolute ? e.value : value[e.sig] + e.value;
      if (!is_touched[e.sig]) is_touched[e.sig] = 1, touched.push_back(e.sig);
    }
    std::sort(touched.begin(), touched.end());
    bool stamped = false;
    for (uint32_t s : touched) {
      is_touched[s] = 0;
      const int64_t v = shown_value(s);
      if (v == shown[s]) continue;
      if (!stamped) out += "#" + std::to_string(cycle) + "\n", stamped = true;
      shown[s] = v;
      value_line(out, signals_[s].kind, v, ids[s]);
    }
    touched.clear();
    if (out.size() > (1u << 20)) {
      os << out;
      out.clear();
    }
  }
  os << out;
}

void Tracer::write_gtkw(std::ostream& os, const std::string& vcd_name) const {
  // Groups: chip-level signals, then one group per core, then one per router (nested under chip.noc).
  // GTKWave names a `$var integer` facility without a bit range (chip.timestep, not chip.timestep[31:0]), so
  // every signal is listed by its plain name. Trace flags: 0x28 binary (a wire), 0x24 decimal (counts,
  // timestep numbers), 0x424 signed decimal (probed u and v, two's complement in the VCD); 0x800200 opens a
  // group, 0x1000200 closes it.
  os << "[*] spikemesh: gtkwave " << vcd_name << " run.gtkw\n";
  os << "[dumpfile] \"" << vcd_name << "\"\n";

  // Initial view: the window's timesteps when they fit on one screen, else its first timestep. With the
  // window at [size] and the panes at their widths, about 800 pixels are left for the waves; GTKWave shows
  // 2^-zoom time units per 200 pixels, so the zoom that puts `span` cycles into 760 pixels (a margin at the
  // right end) is -log2(span * 200 / 760). Named markers A..Z at the first 26 window timesteps' starts.
  constexpr size_t kStepsInView = 16;   // beyond this the timestep labels and pulses become unreadable
  constexpr size_t kNamedMarkers = 26;  // GTKWave 3.3 keeps markers A..Z
  constexpr double kWavePixels = 760, kPixelsPerZoomFrame = 200;
  std::vector<const Step*> window;
  bool several_calls = false;
  for (const Step& s : steps_) {
    if (!s.in_window) continue;
    if (!window.empty() && s.call != window.front()->call) several_calls = true;
    window.push_back(&s);
  }
  os << "[size] 1400 800\n";
  if (!window.empty()) {
    const uint64_t first = window.front()->start_cycle;
    const uint64_t last = window.size() <= kStepsInView ? window.back()->end_cycle : window.front()->end_cycle;
    const double span = static_cast<double>(std::max<uint64_t>(last - first, 1));
    std::ostringstream zoom;
    zoom << std::fixed << -std::log2(span * kPixelsPerZoomFrame / kWavePixels);
    os << "[timestart] " << first << "\n*" << zoom.str() << " -1";
    for (size_t k = 0; k < kNamedMarkers; ++k) {
      if (k < window.size())
        os << " " << window[k]->start_cycle;
      else
        os << " -1";
    }
    os << "\n";
    for (size_t k = 0; k < std::min(kNamedMarkers, window.size()); ++k) {
      os << "[markername] " << static_cast<char>('A' + k);
      if (several_calls || window[k]->call > 0) os << "d" << window[k]->call << ".";
      os << "t" << window[k]->t_local << "\n";
    }
  }
  os << "[sst_width] 260\n[signals_width] 300\n[sst_expanded] 1\n";
  std::map<std::string, std::vector<uint64_t>> groups;  // group name -> signals, in declaration order
  std::vector<std::string> group_order;
  for (uint64_t k = 0; k < signals_.size(); ++k) {
    const std::string& n = signals_[k].name;
    const size_t dot = n.rfind('.');
    std::string g = n.substr(0, dot);
    // Probes live under chip.core_<i>.probe_<pop>_<i>: group them with their core.
    if (const size_t p = g.find(".probe_"); p != std::string::npos) g = g.substr(0, p);
    if (!groups.count(g)) group_order.push_back(g);
    groups[g].push_back(k);
  }
  for (const auto& g : group_order) {
    os << "@800200\n-" << g << "\n";
    for (uint64_t k : groups[g]) {
      const Signal& s = signals_[k];
      const bool probe = s.name.find(".probe_") != std::string::npos;
      os << (s.kind == Kind::Wire ? "@28\n" : probe ? "@424\n" : "@24\n") << s.name << "\n";
    }
    os << "@1000200\n-" << g << "\n";
  }
}

}  // namespace spikemesh
