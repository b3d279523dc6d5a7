// Trace configuration and trace files; see trace_output.h.
#include "trace_output.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "error.h"
#include "h5io.h"

namespace spikemesh {
namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(trim(part));
  return out;
}

uint64_t parse_index(const std::string& s, const std::string& where) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error(where + ": '" + s + "' is not a neuron index (expected e.g. 'population:0,3,5-7')");
  return std::stoull(s);
}

// "pop:0,3,5-7;other:1" -> (population, index) pairs, in order.
std::vector<std::pair<uint32_t, uint64_t>> parse_probes(const std::string& spec, const Network& net,
                                                        const std::string& where) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  if (trim(spec).empty()) return out;
  for (const std::string& item : split(spec, ';')) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos)
      throw Error(where + ": '" + item + "': expected 'population:indices', e.g. 'hidden:0,3,5-7'");
    const std::string name = trim(item.substr(0, colon));
    uint32_t pop = ~0u;
    std::string names;
    for (uint32_t p = 0; p < net.populations.size(); ++p) {
      if (net.populations[p].name == name) pop = p;
      names += (p ? ", " : "") + net.populations[p].name;
    }
    if (pop == ~0u) throw Error(where + ": population '" + name + "' is not in the network (it has: " + names + ")");
    if (net.populations[pop].kind == NeuronKind::Input)
      throw Error(where + ": population '" + name +
                  "' is an input population (host-written spike generators have no u, v)");
    const uint64_t n = net.populations[pop].size();
    for (const std::string& r : split(item.substr(colon + 1), ',')) {
      const size_t dash = r.find('-');
      const uint64_t a = parse_index(trim(r.substr(0, dash)), where);
      const uint64_t b = dash == std::string::npos ? a : parse_index(trim(r.substr(dash + 1)), where);
      if (b < a || b >= n)
        throw Error(where + ": " + name + ":" + r + ": index out of range (population '" + name + "' has " +
                    std::to_string(n) + " neurons)");
      if (b - a > 4096) throw Error(where + ": " + name + ":" + r + ": more than 4096 probes in one range");
      for (uint64_t i = a; i <= b; ++i) out.emplace_back(pop, i);
    }
  }
  return out;
}

// How many of `total` items the window [first, first + count) covers (count 0: to the end).
uint64_t covered(uint64_t first, uint64_t count, uint64_t total) {
  if (first >= total) return 0;
  return count == 0 ? total - first : std::min<uint64_t>(count, total - first);
}

// One dataset per summed counter (peaks are left out), [timestep][component]: the increase over each
// timestep of the cumulative values `at(k)` (per component, after timestep k).
template <class Counters, class At>
void write_columns(H5File& f, const std::string& group, uint64_t n, uint64_t components, const At& at) {
  Counters::fields([&](const CounterField& field, uint64_t Counters::*m) {
    if (field.kind != CounterKind::Sum) return;
    std::vector<int64_t> d(n * components);
    for (uint64_t k = 0; k < n; ++k)
      for (uint64_t c = 0; c < components; ++c)
        d[k * components + c] = static_cast<int64_t>(at(k)[c].*m - (k ? at(k - 1)[c].*m : 0));
    f.write_ints(group + field.key, d, {n, components}, 8, true);
  });
}

void write_h5(const Tracer& tr, const ChipTimestepRecorder& rec, const Network& net, const std::string& path) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    H5File f = H5File::create(tmp.string());
    f.write_attr_string("/", "format", "spikemesh-trace");
    f.write_attr_int("/", "version", 1);
    const auto& steps = tr.steps();
    const uint64_t n = rec.snapshots().size();  // completed timesteps
    std::vector<int64_t> t, tl, call, start, cycles, inw, window_rows;
    for (uint64_t k = 0; k < n; ++k) {
      const auto& s = steps[k];
      t.push_back(s.t), tl.push_back(s.t_local), call.push_back(s.call),
          start.push_back(static_cast<int64_t>(s.start_cycle));
      cycles.push_back(static_cast<int64_t>(s.end_cycle - s.start_cycle));
      inw.push_back(s.in_window);
      if (s.in_window) window_rows.push_back(static_cast<int64_t>(k));
    }
    f.create_group("/timesteps");
    f.write_ints("/timesteps/t", t, {n});
    f.write_ints("/timesteps/t_local", tl, {n});
    f.write_ints("/timesteps/ddim_step", call, {n});
    f.write_ints("/timesteps/start_cycle", start, {n});
    f.write_ints("/timesteps/cycles", cycles, {n});
    f.write_ints("/timesteps/in_window", inw, {n}, 1);
    // Counters per timestep: the increase over the timestep (they sum to the run's totals). Peaks are not
    // additive: they are kept in report.json only.
    const uint64_t cores = n ? rec.snapshots()[0].cores.size() : 0, routers = n ? rec.snapshots()[0].routers.size() : 0;
    f.create_group("/counters/cores");
    f.create_group("/counters/routers");
    std::string core_names, router_names;
    for (uint64_t c = 0; c < cores; ++c) core_names += (c ? "\n" : "") + rec.names().cores[c];
    for (uint64_t r = 0; r < routers; ++r) router_names += (r ? "\n" : "") + rec.names().routers[r];
    f.write_attr_string("/counters/cores", "names", core_names);
    f.write_attr_string("/counters/routers", "names", router_names);
    const auto& snaps = rec.snapshots();
    write_columns<CoreCounters>(
        f, "/counters/cores/", n, cores, [&](uint64_t k) -> const auto& { return snaps[k].cores; });
    write_columns<RouterCounters>(
        f, "/counters/routers/", n, routers, [&](uint64_t k) -> const auto& { return snaps[k].routers; });
    // Critical path per timestep (model/critical_path.h): cycles by phase (they add up to /timesteps/cycles),
    // the bounding core (a row of /counters/cores), its bounding unit and the core that began the chain.
    f.create_group("/critical_path");
    const auto& at = rec.attribution();
    StepAttribution::phases([&](const char* key, uint64_t StepAttribution::*m) {
      std::vector<int64_t> d;
      for (uint64_t k = 0; k < n; ++k) d.push_back(static_cast<int64_t>(at[k].*m));
      f.write_ints(std::string("/critical_path/") + key, d, {n});
    });
    std::vector<int64_t> bound, unit, source;
    for (uint64_t k = 0; k < n; ++k) {
      bound.push_back(at[k].bounding_core), unit.push_back(static_cast<int64_t>(at[k].unit));
      source.push_back(at[k].source_core);
    }
    f.write_ints("/critical_path/bounding_core", bound, {n});
    f.write_ints("/critical_path/bounding_unit", unit, {n}, 1);
    f.write_ints("/critical_path/source_core", source, {n});
    std::string phases, units, populations;
    StepAttribution::phases([&](const char* key, uint64_t StepAttribution::*) {
      phases += (phases.empty() ? "" : "\n") + std::string(key);
    });
    for (BoundingUnit u : {BoundingUnit::Sweep, BoundingUnit::Output, BoundingUnit::Dendrite})
      units += (units.empty() ? "" : "\n") + std::string(to_string(u));
    for (uint64_t c = 0; c < cores; ++c) populations += (c ? "\n" : "") + rec.names().core_populations[c];
    f.write_attr_string("/critical_path", "phases", phases);
    f.write_attr_string("/critical_path", "bounding_units", units);
    f.write_attr_string("/critical_path", "core_populations", populations);
    // Raster and probes: the window's timesteps (rows of /timesteps listed in /raster/rows).
    const uint64_t w = rec.raster().size();
    f.create_group("/raster");
    f.write_ints("/raster/rows", window_rows, {static_cast<uint64_t>(window_rows.size())});
    for (uint32_t p = 0; p < net.populations.size(); ++p) {
      const uint64_t size = net.populations[p].size();
      std::vector<uint8_t> r;
      r.reserve(w * size);
      for (uint64_t k = 0; k < w; ++k) r.insert(r.end(), rec.raster()[k][p].begin(), rec.raster()[k][p].end());
      f.write_uint8("/raster/" + net.populations[p].name, r.data(), {w, size}, true);
    }
    if (!tr.probe_names().empty()) {
      const uint64_t np = tr.probe_names().size(), rows = std::min<uint64_t>(w, tr.probe_u().size());
      std::vector<int32_t> u, v;
      for (uint64_t k = 0; k < rows; ++k) {
        u.insert(u.end(), tr.probe_u()[k].begin(), tr.probe_u()[k].end());
        v.insert(v.end(), tr.probe_v()[k].begin(), tr.probe_v()[k].end());
      }
      f.create_group("/probes");
      std::string names;
      for (uint64_t k = 0; k < np; ++k) names += (k ? "\n" : "") + tr.probe_names()[k];
      f.write_attr_string("/probes", "names", names);
      f.write_int32("/probes/u", u.data(), {rows, np}, true);
      f.write_int32("/probes/v", v.data(), {rows, np}, true);
    }
  });
}

}  // namespace

std::unique_ptr<Tracer> make_tracer(const RunConfig& cfg, const Network& net, uint64_t calls,
                                    uint64_t timesteps_per_call) {
  const TraceParams& tp = cfg.run.trace;
  if (!tp.vcd && !tp.hdf5) return nullptr;
  const std::string where = cfg.path + ": trace";
  TraceSelection p;
  p.patterns.clear();
  for (const std::string& pat : split(tp.signals, ',')) {
    if (pat.empty())
      throw Error(where + ".signals: empty pattern in '" + tp.signals +
                  "' (expected comma-separated globs, e.g. 'chip.core_0.*,chip.timestep')");
    p.patterns.push_back(pat);
  }
  if (p.patterns.empty()) throw Error(where + ".signals: no pattern (use '*' for every signal)");
  p.probes = parse_probes(tp.probes, net, where + ".probes");
  const uint64_t t = covered(tp.timestep_first, tp.timestep_count, timesteps_per_call);
  const uint64_t c = covered(tp.ddim_step_first, tp.ddim_step_count, calls);
  if (t == 0)
    throw Error(where + ".timestep_first = " + std::to_string(tp.timestep_first) + " is past the run's " +
                std::to_string(timesteps_per_call) + " timesteps" + (calls > 1 ? " per DDIM step" : ""));
  if (c == 0)
    throw Error(where + ".ddim_step_first = " + std::to_string(tp.ddim_step_first) + " is past the run's " +
                std::to_string(calls) + " DDIM steps (all images)");
  p.window_timesteps = t * c;
  return std::make_unique<Tracer>(tp, std::move(p));
}

void write_trace_outputs(const Tracer& tracer, const ChipTimestepRecorder& timesteps, const RunConfig& cfg,
                         const Network& net, const std::filesystem::path& dir) {
  const TraceParams& tp = cfg.run.trace;
  if (tp.vcd) {
    write_stream_atomically(dir / "run.vcd", [&](std::ostream& f) { tracer.write_vcd(f); });
    write_stream_atomically(dir / "run.gtkw", [&](std::ostream& f) { tracer.write_gtkw(f, "run.vcd"); });
    std::printf("trace: wrote %s (%llu signals, %llu bytes; bound %llu) and %s\n", (dir / "run.vcd").c_str(),
                static_cast<unsigned long long>(tracer.signal_count()),
                static_cast<unsigned long long>(std::filesystem::file_size(dir / "run.vcd")),
                static_cast<unsigned long long>(tracer.estimated_vcd_bytes()), (dir / "run.gtkw").c_str());
  }
  if (tp.hdf5) {
    write_h5(tracer, timesteps, net, (dir / "trace.h5").string());
    std::printf("trace: wrote %s\n", (dir / "trace.h5").c_str());
  }
}

}  // namespace spikemesh
