// --state-out: u and v of chosen populations after chosen timesteps; see state_out.h.
#include "state_out.h"

#include <algorithm>
#include <cstdio>

#include "error.h"
#include "h5io.h"

namespace spikemesh {

const char* const kStateOutHelp =
    "write u and v after the chosen timesteps here (HDF5 'spikemesh-state', docs/netx.md)";
const char* const kStatePopulationsHelp =
    "populations whose u and v --state-out writes, comma-separated (default: every non-input population)";
const char* const kStateTimestepsHelp =
    "timesteps after which --state-out writes u and v: comma-separated, ranges A-B inclusive, counted from 0 "
    "(default: every timestep)";

namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

uint32_t parse_timestep(const std::string& text, const std::string& item) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error("--state-timesteps: '" + item + "' is not a timestep or a range A-B (expected e.g. 0,5,10-19)");
  const uint64_t v = std::stoull(text);
  if (v > UINT32_MAX) throw Error("--state-timesteps: '" + item + "' is out of range");
  return static_cast<uint32_t>(v);
}

}  // namespace

std::optional<StateRecord> make_state_record(const Network& net, const std::string& path, const std::string& pops,
                                             const std::string& steps, uint32_t timesteps) {
  if (path.empty()) {
    if (!pops.empty() || !steps.empty())
      throw Error("--state-populations and --state-timesteps need --state-out FILE.h5");
    return std::nullopt;
  }
  StateRecord probe;
  if (pops.empty()) {
    for (uint32_t p = 0; p < net.populations.size(); ++p)
      if (net.populations[p].kind != NeuronKind::Input) probe.populations.push_back(p);
  } else {
    for (const std::string& name : split_commas(pops)) {
      const int p = net.find(name);
      if (p < 0) {
        std::string names;
        for (const auto& q : net.populations) names += (names.empty() ? "" : ", ") + q.name;
        throw Error("--state-populations: no population '" + name + "' (the network has: " + names + ")");
      }
      if (net.populations[p].kind == NeuronKind::Input)
        throw Error("--state-populations: '" + name + "' is an input population: it has no u and v");
      if (std::find(probe.populations.begin(), probe.populations.end(), p) == probe.populations.end())
        probe.populations.push_back(static_cast<uint32_t>(p));
    }
    std::sort(probe.populations.begin(), probe.populations.end());
  }
  if (timesteps == 0) throw Error("--state-out: --timesteps 0 runs no timestep to record");
  if (steps.empty()) {
    for (uint32_t t = 0; t < timesteps; ++t) probe.timesteps.push_back(t);
  } else {
    for (const std::string& item : split_commas(steps)) {
      const size_t dash = item.find('-');
      const uint32_t a = parse_timestep(item.substr(0, dash), item);
      const uint32_t b = dash == std::string::npos ? a : parse_timestep(item.substr(dash + 1), item);
      if (b < a) throw Error("--state-timesteps: range '" + item + "' ends before it starts");
      if (b >= timesteps)
        throw Error("--state-timesteps: timestep " + std::to_string(b) + " is not run (--timesteps " +
                    std::to_string(timesteps) + " runs 0.." + std::to_string(timesteps - 1) + ")");
      for (uint64_t t = a; t <= b; ++t) probe.timesteps.push_back(static_cast<uint32_t>(t));
    }
    std::sort(probe.timesteps.begin(), probe.timesteps.end());
    probe.timesteps.erase(std::unique(probe.timesteps.begin(), probe.timesteps.end()), probe.timesteps.end());
  }
  uint64_t values = 0;
  for (uint32_t p : probe.populations) values += 2 * net.populations[p].size() * probe.timesteps.size();
  constexpr uint64_t kMaxValues = uint64_t{1} << 30;  // 4 GiB of int32 held in memory before writing
  if (values > kMaxValues)
    throw Error("--state-out: " + std::to_string(values) + " values (u and v of the chosen populations at " +
                std::to_string(probe.timesteps.size()) + " timesteps) exceed 2^30 (4 GiB); choose fewer with " +
                "--state-populations or --state-timesteps");
  for (uint32_t p : probe.populations) {
    probe.u.emplace_back(net.populations[p].size() * probe.timesteps.size(), 0);
    probe.v.emplace_back(net.populations[p].size() * probe.timesteps.size(), 0);
  }
  return probe;
}

void write_state(const StateRecord& probe, const Network& net, uint32_t timesteps, const std::string& path) {
  H5File f = H5File::create(path);
  f.write_attr_string("/", "format", "spikemesh-state");
  f.write_attr_int("/", "version", 1);
  f.write_attr_int("/", "timesteps", timesteps);
  f.create_group("/populations");
  const std::vector<int64_t> steps(probe.timesteps.begin(), probe.timesteps.end());
  const uint64_t k = steps.size();
  for (size_t j = 0; j < probe.populations.size(); ++j) {
    const Population& pop = net.populations[probe.populations[j]];
    const std::string at = "/populations/" + pop.name;
    f.write_ints(at + "/timesteps", steps, {k}, 4);
    f.write_int32(at + "/u", probe.u[j].data(), {k, pop.size()}, true);
    f.write_int32(at + "/v", probe.v[j].data(), {k, pop.size()}, true);
    f.write_attr_int(at, "index", static_cast<int64_t>(probe.populations[j]));
  }
  std::printf("wrote %s (u and v of %zu populations at %zu timesteps)\n", path.c_str(), probe.populations.size(),
              probe.timesteps.size());
}

}  // namespace spikemesh
