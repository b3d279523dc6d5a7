// Run configuration loading, validation, --set, dump and help; see config.h. Every params struct's
// describe() is walked by the visitors below: Loader (YAML map -> struct, with unknown-key detection),
// Setter (one --set key=value), Dumper (struct -> YAML) and Helper (key list for --help).
#include "config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "energy.h"
#include "error.h"
#include "network_file.h"
#include "netx_import.h"
#include "routing.h"

namespace fs = std::filesystem;

namespace spikemesh {
namespace {

// ---- scalar parsing (strict: the whole text must be the value) ----------------------------------------

bool parse_int(const std::string& s, int64_t lo, uint64_t hi, uint64_t& out, std::string& why) {
  if (s.empty() || (s[0] == '-' && lo >= 0)) {
    why = "expected a non-negative integer";
    return false;
  }
  const char* b = s.c_str();
  char* e = nullptr;
  errno = 0;
  if (s[0] == '-') {
    const long long v = std::strtoll(b, &e, 10);
    if (errno || *e || e == b || v < lo) return why = "expected an integer", false;
    out = static_cast<uint64_t>(v);
    return true;
  }
  const unsigned long long v = std::strtoull(b, &e, 10);
  if (errno || *e || e == b) return why = "expected an integer", false;
  if (v > hi || (lo > 0 && v < static_cast<uint64_t>(lo))) return why = "out of range", false;
  out = v;
  return true;
}

template <class T>
std::string range_text(T lo, T hi) {
  std::ostringstream os;
  os << "[" << lo << ", " << hi << "]";
  return os.str();
}

// Keeps a parameter out of template argument deduction (field(key, uint32_t&, 1, 64) deduces T from ref).
template <class T>
using Same = typename std::enable_if<true, T>::type;

// Where a value came from, for messages: "file.yaml:12" or "--set key=value".
struct Origin {
  std::string file;
  std::string set_arg;
  std::string at(const YAML::Node& n) const {
    if (!set_arg.empty()) return "--set " + set_arg;
    const auto m = n.Mark();
    return file + (m.line >= 0 ? ":" + std::to_string(m.line + 1) : "");
  }
};

// Converts one scalar node into a field, or throws naming origin, key path and expectation.
class ScalarReader {
 public:
  ScalarReader(const Origin& o, const YAML::Node& n, const std::string& key) : o_(o), n_(n), key_(key) {}

  [[noreturn]] void fail(const std::string& msg) const { throw Error(o_.at(n_) + ": " + key_ + ": " + msg); }
  std::string scalar(const char* expected) const {
    if (!n_.IsScalar())
      fail(std::string("expected ") + expected + ", got " +
           (n_.IsMap()        ? "a mapping"
            : n_.IsSequence() ? "a list"
                              : "nothing"));
    return n_.Scalar();
  }
  template <class T>
  void read_uint(T& ref, T lo, T hi) const {
    const std::string s = scalar("an integer");
    uint64_t v = 0;
    std::string why;
    if (!parse_int(s, 0, hi, v, why) || v < lo)
      fail("expected an integer in " + range_text<uint64_t>(lo, hi) + ", got '" + s + "'" +
           (why == "out of range" ? " (out of range)" : ""));
    ref = static_cast<T>(v);
  }
  void read_double(double& ref, double lo, double hi) const {
    const std::string s = scalar("a number");
    char* e = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &e);
    if (s.empty() || errno || *e || !std::isfinite(v))
      fail("expected a number in " + range_text(lo, hi) + ", got '" + s + "'");
    if (v < lo || v > hi) fail("expected a number in " + range_text(lo, hi) + ", got " + s + " (out of range)");
    ref = v;
  }
  void read_bool(bool& ref) const {
    const std::string s = scalar("true or false");
    if (s == "true" || s == "True")
      ref = true;
    else if (s == "false" || s == "False")
      ref = false;
    else
      fail("expected true or false, got '" + s + "'");
  }
  void read_string(std::string& ref) const { ref = scalar("a string"); }

 private:
  const Origin& o_;
  const YAML::Node& n_;
  std::string key_;
};

// ---- Loader: a YAML mapping into a struct --------------------------------------------------------------

class Loader {
 public:
  Loader(const YAML::Node& map, std::string prefix, const Origin& origin, std::set<std::string> ignore = {})
      : map_(map), prefix_(std::move(prefix)), origin_(origin), seen_(std::move(ignore)) {
    if (map_ && !map_.IsNull() && !map_.IsMap())
      throw Error(origin_.at(map_) + ": " +
                  (prefix_.empty() ? std::string("top level") : prefix_.substr(0, prefix_.size() - 1)) +
                  ": expected a mapping of keys");
  }

  template <class T>
  void field(const char* key, T& ref, Same<T> lo, Same<T> hi, const char*) {
    if (auto n = take(key)) ScalarReader(origin_, n, prefix_ + key).read_uint(ref, lo, hi);
  }
  void field(const char* key, double& ref, double lo, double hi, const char*) {
    if (auto n = take(key)) ScalarReader(origin_, n, prefix_ + key).read_double(ref, lo, hi);
  }
  void field(const char* key, std::optional<double>& ref, double lo, double hi, const char*) {
    if (auto n = take(key)) {
      double v = 0;
      ScalarReader(origin_, n, prefix_ + key).read_double(v, lo, hi);
      ref = v;
    }
  }
  void field(const char* key, bool& ref, const char*) {
    if (auto n = take(key)) ScalarReader(origin_, n, prefix_ + key).read_bool(ref);
  }
  void field(const char* key, std::string& ref, const char*) {
    if (auto n = take(key)) ScalarReader(origin_, n, prefix_ + key).read_string(ref);
  }
  template <class S>
  void section(const char* key, S& s) {
    group(key, [&](Loader& sub) { s.describe(sub); });
  }
  template <class Fn>
  void group(const char* key, Fn&& fn) {
    YAML::Node n = take(key);
    Loader sub(n, prefix_ + key + ".", origin_);
    fn(sub);
    sub.finish();
  }
  // Throws on the first key no field claimed.
  void finish() const {
    if (!map_ || !map_.IsMap()) return;
    for (const auto& kv : map_) {
      const std::string k = kv.first.as<std::string>();
      if (!seen_.count(k))
        throw Error(origin_.at(kv.first) + ": unknown key '" + prefix_ + k + "'" +
                    (known_.empty() ? "" : " (known here: " + known_ + ")"));
    }
  }

 private:
  YAML::Node take(const char* key) {
    seen_.insert(key);
    known_ += (known_.empty() ? "" : ", ") + std::string(key);
    if (!map_ || !map_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node n = map_[key];
    if (!n.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    if (n.IsNull()) throw Error(origin_.at(n) + ": " + prefix_ + key + ": a value is required");
    return n;
  }

  YAML::Node map_;
  std::string prefix_;
  const Origin& origin_;
  std::set<std::string> seen_;
  std::string known_;
};

// ---- Setter: one --set key.path=value ------------------------------------------------------------------

class Setter {
 public:
  Setter(const std::vector<std::string>& path, size_t depth, const YAML::Node& value, const Origin& origin,
         std::string prefix)
      : path_(path), depth_(depth), value_(value), origin_(origin), prefix_(std::move(prefix)) {}
  bool found() const { return found_; }

  template <class T>
  void field(const char* key, T& ref, Same<T> lo, Same<T> hi, const char*) {
    if (hit(key)) ScalarReader(origin_, value_, prefix_ + key).read_uint(ref, lo, hi);
  }
  void field(const char* key, double& ref, double lo, double hi, const char*) {
    if (hit(key)) ScalarReader(origin_, value_, prefix_ + key).read_double(ref, lo, hi);
  }
  void field(const char* key, std::optional<double>& ref, double lo, double hi, const char*) {
    if (hit(key)) {
      double v = 0;
      ScalarReader(origin_, value_, prefix_ + key).read_double(v, lo, hi);
      ref = v;
    }
  }
  void field(const char* key, bool& ref, const char*) {
    if (hit(key)) ScalarReader(origin_, value_, prefix_ + key).read_bool(ref);
  }
  void field(const char* key, std::string& ref, const char*) {
    if (hit(key)) ScalarReader(origin_, value_, prefix_ + key).read_string(ref);
  }
  template <class S>
  void section(const char* key, S& s) {
    group(key, [&](Setter& sub) { s.describe(sub); });
  }
  template <class Fn>
  void group(const char* key, Fn&& fn) {
    if (found_ || depth_ + 1 >= path_.size() || path_[depth_] != key) return;
    Setter sub(path_, depth_ + 1, value_, origin_, prefix_ + key + ".");
    fn(sub);
    found_ = sub.found_;
  }

 private:
  bool hit(const char* key) {
    if (found_ || depth_ + 1 != path_.size() || path_[depth_] != key) return false;
    return found_ = true;
  }
  const std::vector<std::string>& path_;
  size_t depth_;
  const YAML::Node& value_;
  const Origin& origin_;
  std::string prefix_;
  bool found_ = false;
};

// ---- Dumper and Helper ----------------------------------------------------------------------------------

class Dumper {
 public:
  explicit Dumper(YAML::Emitter& e) : e_(e) {}
  template <class T>
  void field(const char* key, T& ref, Same<T>, Same<T>, const char*) {
    e_ << YAML::Key << key << YAML::Value << ref;
  }
  void field(const char* key, double& ref, double, double, const char*) {
    e_ << YAML::Key << key << YAML::Value << ref;
  }
  void field(const char* key, std::optional<double>& ref, double, double, const char*) {
    if (ref) e_ << YAML::Key << key << YAML::Value << *ref;
  }
  void field(const char* key, bool& ref, const char*) { e_ << YAML::Key << key << YAML::Value << ref; }
  void field(const char* key, std::string& ref, const char*) { e_ << YAML::Key << key << YAML::Value << ref; }
  template <class S>
  void section(const char* key, S& s) {
    group(key, [&](Dumper& sub) { s.describe(sub); });
  }
  template <class Fn>
  void group(const char* key, Fn&& fn) {
    e_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    fn(*this);
    e_ << YAML::EndMap;
  }

 private:
  YAML::Emitter& e_;
};

class Helper {
 public:
  explicit Helper(std::ostream& os, std::string prefix = "") : os_(os), prefix_(std::move(prefix)) {}
  template <class T>
  void field(const char* key, T& ref, Same<T> lo, Same<T> hi, const char* desc) {
    line(key, std::to_string(ref), "integer in " + range_text<uint64_t>(lo, hi), desc);
  }
  void field(const char* key, double& ref, double lo, double hi, const char* desc) {
    std::ostringstream d;
    d << ref;
    line(key, d.str(), "number in " + range_text(lo, hi), desc);
  }
  void field(const char* key, std::optional<double>&, double lo, double hi, const char* desc) {
    line(key, "(unpriced)", "number in " + range_text(lo, hi), desc);
  }
  void field(const char* key, bool& ref, const char* desc) { line(key, ref ? "true" : "false", "true/false", desc); }
  void field(const char* key, std::string& ref, const char* desc) {
    line(key, ref.empty() ? "(required)" : ref, "string", desc);
  }
  template <class S>
  void section(const char* key, S& s) {
    group(key, [&](Helper& sub) { s.describe(sub); });
  }
  template <class Fn>
  void group(const char* key, Fn&& fn) {
    Helper sub(os_, prefix_ + key + ".");
    fn(sub);
  }

 private:
  void line(const char* key, const std::string& def, const std::string& type, const char* desc) {
    os_ << "  " << prefix_ << key << " = " << def << "  (" << type << ")\n      " << desc << "\n";
  }
  std::ostream& os_;
  std::string prefix_;
};

// ---- files ----------------------------------------------------------------------------------------------

// The deepest a config may nest: run keys nest three levels (chip.core.compartments) and a chip file's
// two; the margin keeps the walk below far from the stack while refusing hostile nesting with a clear message.
constexpr int kMaxConfigDepth = 32;

// Refuses what yaml-cpp accepts but a config cannot mean: a key given twice (yaml-cpp silently keeps the
// first), a key that is not a plain name (`? [a, b]: 1`, which would fail later as a bad conversion naming
// no file), and nesting deeper than any config key. An alias (`*a`) shares its anchor's node, so a node is
// walked once however often it is aliased: ten levels of ten aliases each (a "billion laughs" file of a few
// hundred bytes) would otherwise be walked 10^10 times; `seen` holds the mappings and lists walked so far,
// by the position they start at and then by identity.
class TreeCheck {
 public:
  explicit TreeCheck(const std::string& path) : path_(path) {}
  void check(const YAML::Node& n, const std::string& prefix, int depth) {
    if (!n.IsMap() && !n.IsSequence()) return;
    auto& same_place = seen_[n.Mark().pos];
    for (const auto& m : same_place)
      if (m.is(n)) return;
    same_place.push_back(n);
    if (depth >= kMaxConfigDepth)
      throw Error(line(n) + ": " + where(prefix) + ": nested deeper than " + std::to_string(kMaxConfigDepth) +
                  " levels (config keys nest at most 3 levels, e.g. chip.core.compartments)");
    if (n.IsSequence()) {
      for (const auto& item : n) check(item, prefix, depth + 1);
      return;
    }
    std::map<std::string, int> keys;  // key -> line of its first occurrence
    for (const auto& kv : n) {
      if (!kv.first.IsScalar())
        throw Error(line(kv.first) + ": " + where(prefix) + ": a key must be a plain name, got " +
                    (kv.first.IsMap()        ? "a mapping"
                     : kv.first.IsSequence() ? "a list"
                                             : "nothing") +
                    " (a complex '?' key)");
      const std::string k = kv.first.Scalar();
      const auto [it, fresh] = keys.emplace(k, kv.first.Mark().line + 1);
      if (!fresh)
        throw Error(line(kv.first) + ": duplicate key '" + prefix + k + "' (first at line " +
                    std::to_string(it->second) + "): YAML keeps only one of them; remove the other");
      check(kv.second, prefix + k + ".", depth + 1);
    }
  }

 private:
  std::string line(const YAML::Node& x) const { return path_ + ":" + std::to_string(x.Mark().line + 1); }
  static std::string where(const std::string& prefix) {
    return prefix.empty() ? std::string("top level") : prefix.substr(0, prefix.size() - 1);
  }
  const std::string& path_;
  std::map<int, std::vector<YAML::Node>> seen_;
};

YAML::Node load_yaml(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": cannot open the config file (no such file)");
  try {
    YAML::Node root = YAML::LoadFile(path);
    TreeCheck(path).check(root, "", 0);
    return root;
  } catch (const YAML::DeepRecursion& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": nested deeper than the YAML parser allows (" +
                std::to_string(e.depth()) + " levels; config keys nest at most 3 levels, e.g. chip.core.compartments)");
  } catch (const YAML::ParserException& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw Error(path + ": cannot read the config file");
  }
}

std::string resolve(const std::string& base_file, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(base_file).parent_path() / p).lexically_normal().string();
}

void load_chip_file(const std::string& path, ChipParams& chip) {
  const YAML::Node root = load_yaml(path);
  const Origin o{path, ""};
  Loader l(root, "", o);
  chip.describe(l);
  l.finish();
}

void apply_set(const std::string& arg, RunConfig* run, ChipParams* chip) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--set " + arg + ": expected key=value (e.g. chip.core.compartments=2048)");
  const std::string key = arg.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(arg.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw Error("--set " + arg + ": cannot parse the value: " + e.msg);
  }
  if (!value.IsDefined() || value.IsNull()) throw Error("--set " + arg + ": " + key + ": a value is required");
  std::vector<std::string> path;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) path.push_back(part);
  const Origin o{"", arg};
  bool found = false;
  if (run && path[0] != "chip") {
    Setter s(path, 0, value, o, "");
    run->run.describe(s);
    found = s.found();
    // Paths given on the command line are relative to the working directory, not to the config file.
    if (found && (key == "network" || key == "stimulus" || key == "energy" || key == "fsddim.float_checkpoint")) {
      std::string& p = key == "network"    ? run->run.network
                       : key == "stimulus" ? run->run.stimulus
                       : key == "energy"   ? run->run.energy
                                           : run->run.fsddim.float_checkpoint;
      if (!p.empty() && !(key == "stimulus" && (p == "none" || p == "random")))
        p = fs::absolute(p).lexically_normal().string();
    }
  } else {
    const size_t skip = run ? 1 : 0;  // in a run config chip keys start with "chip."
    if (path.size() > skip) {
      std::vector<std::string> rest(path.begin() + static_cast<long>(skip), path.end());
      Setter s(rest, 0, value, o, run ? "chip." : "");
      (run ? run->chip : *chip).describe(s);
      found = s.found();
    }
  }
  if (!found) throw Error("--set " + arg + ": unknown key '" + key + "' (see `spikemesh run --help` for the keys)");
}

// The watchdog counts cycles since the mesh last granted a flit (or a core was busy): a flit on its way
// over one hop, one chip link or into or out of a core makes no such progress for that latency, so a
// watchdog at or below the longest of them reports healthy traffic as a deadlock.
void check_watchdog(const std::string& path, const ChipParams& chip) {
  const RouterParams& r = chip.router;
  std::pair<uint64_t, const char*> longest{r.hop_ew_cycles, "chip.router.hop_ew_cycles"};
  const auto consider = [&](uint64_t v, const char* key) {
    if (v > longest.first) longest = {v, key};
  };
  consider(r.hop_ns_cycles, "chip.router.hop_ns_cycles");
  consider(r.inject_cycles, "chip.router.inject_cycles");
  consider(r.eject_cycles, "chip.router.eject_cycles");
  if (uint64_t{chip.mesh.chips_x} * chip.mesh.chips_y > 1) consider(r.chip_link_cycles, "chip.router.chip_link_cycles");
  if (chip.watchdog_cycles <= longest.first)
    throw Error(path + ": chip.watchdog_cycles = " + std::to_string(chip.watchdog_cycles) +
                " is not above the longest single latency, " + longest.second + " = " + std::to_string(longest.first) +
                ": a flit in flight would be reported as a deadlock; set "
                "chip.watchdog_cycles above " +
                std::to_string(longest.first));
}

// A lava-dl netx network: a name ending in `.net`.
bool is_netx_path(const std::string& path) {
  const std::string ext = ".net";
  return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

}  // namespace

Network import_netx_reporting(const std::string& path, const NetxOptions& netx) {
  Network net = import_netx(path, netx);
  if (const auto w = net.metadata.attributes.find("netx_warnings"); w != net.metadata.attributes.end())
    std::fprintf(stderr, "warning: %s\n", w->second.c_str());
  return net;
}

Network load_network(const std::string& path, const NetxOptions& netx) {
  if (!is_netx_path(path)) return read_network(path);  // load_run_config refuses netx options for it
  return import_netx_reporting(path, netx);
}

std::string RunConfig::network_path() const { return resolve(path, run.network); }
std::string RunConfig::stimulus_path() const {
  return run.stimulus == "none" || run.stimulus == "random" ? run.stimulus : resolve(path, run.stimulus);
}
std::string RunConfig::energy_path() const { return resolve(path, run.energy); }
std::string RunConfig::float_checkpoint_path() const {
  return run.fsddim.float_checkpoint.empty() ? "" : resolve(path, run.fsddim.float_checkpoint);
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& sets) {
  RunConfig c;
  c.path = path;
  const YAML::Node root = load_yaml(path);
  const Origin o{path, ""};
  if (!root.IsMap()) throw Error(path + ": expected a mapping of keys at the top level");
  // chip: a file name, or a mapping of chip keys with an optional `base` file loaded first.
  if (const YAML::Node chip = root["chip"]; chip.IsDefined()) {
    if (chip.IsScalar()) {
      c.chip_base = resolve(path, chip.Scalar());
      load_chip_file(c.chip_base, c.chip);
    } else if (chip.IsMap()) {
      if (const YAML::Node base = chip["base"]; base.IsDefined()) {
        std::string b;
        ScalarReader(o, base, "chip.base").read_string(b);
        c.chip_base = resolve(path, b);
        load_chip_file(c.chip_base, c.chip);
      }
      Loader l(chip, "chip.", o, {"base"});
      c.chip.describe(l);
      l.finish();
    } else {
      throw Error(o.at(chip) + ": chip: expected a chip file name or a mapping of chip keys");
    }
  }
  Loader top(root, "", o, {"chip"});
  c.run.describe(top);
  top.finish();
  for (const auto& s : sets) apply_set(s, &c, nullptr);
  if (c.run.network.empty()) throw Error(path + ": network: a network file is required (key 'network')");
  // The management core's router must be on the mesh whether or not this run uses it (the FSDDIM loop does):
  // a key that cannot mean anything is an error, not ignored.
  try {
    management_place(MeshGeometry::from(c.chip.mesh), c.chip.management);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  check_watchdog(path, c.chip);
  const std::string& n = c.run.network;
  c.run.netx.check(path + ": ", [](const std::string& field) { return "netx." + field; });
  if (c.run.netx.axonal_delays != NetxOptions{}.axonal_delays && !is_netx_path(n))
    throw Error(path + ": netx.axonal_delays applies to a lava-dl .net network; '" + n +
                "' is a spikemesh network file, whose synapses hold their delays themselves");
  if (c.run.netx.reset_interval != 0 && !is_netx_path(n))
    throw Error(path + ": netx.reset_interval applies to a lava-dl .net network; '" + n +
                "' is a spikemesh network file, which holds its resets itself (reset_interval per population, "
                "docs/network-format.md)");
  return c;
}

ChipParams load_chip_config(const std::string& path, const std::vector<std::string>& sets) {
  ChipParams chip;
  load_chip_file(path, chip);
  for (const auto& s : sets) apply_set(s, nullptr, &chip);
  check_watchdog(path, chip);
  return chip;
}

EnergyTable load_energy_table(const std::string& path) {
  EnergyTable t;
  const YAML::Node root = load_yaml(path);
  const Origin o{path, ""};
  Loader l(root, "", o);
  t.describe(l);
  l.finish();
  return t;
}

std::string dump_run_config(const RunConfig& c) {
  RunConfig x = c;
  x.run.network = fs::absolute(c.network_path()).lexically_normal().string();
  if (x.run.stimulus != "none" && x.run.stimulus != "random")
    x.run.stimulus = fs::absolute(c.stimulus_path()).lexically_normal().string();
  x.run.energy = fs::absolute(c.energy_path()).lexically_normal().string();
  if (!c.float_checkpoint_path().empty())
    x.run.fsddim.float_checkpoint = fs::absolute(c.float_checkpoint_path()).lexically_normal().string();
  YAML::Emitter e;
  e << YAML::BeginMap;
  Dumper d(e);
  x.run.describe(d);
  d.section("chip", x.chip);
  e << YAML::EndMap;
  return std::string("# effective configuration of a spikemesh run (every key, as used)\n") + e.c_str() + "\n";
}

std::string run_config_help() {
  std::ostringstream os;
  RunParams r;
  ChipParams c;
  Helper h(os);
  r.describe(h);
  os << "  chip = FILE, or a mapping of the keys below (with an optional chip.base = FILE loaded first)\n";
  h.section("chip", c);
  return os.str();
}

// report.json as written by sim/report.cpp: its counters back into ChipCounters (JSON is YAML, so yaml-cpp
// reads it). Every key it needs must be there; a report written before chip.power_gating was saved is
// priced with every core powered, as it was then, and says so on `note`.
ChipCounters load_report_counters(const std::string& path, std::string* note) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": cannot open the report (no such file)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": not a JSON report: " + e.msg);
  }
  auto need = [&](const YAML::Node& n, const std::string& key, const std::string& where) {
    if (!n.IsMap() || !n[key]) throw Error(path + ": no key '" + where + key + "' (expected a spikemesh report.json)");
    return n[key];
  };
  auto number = [&](const YAML::Node& n, const std::string& key, const std::string& where) {
    const YAML::Node v = need(n, key, where);
    try {
      return v.as<uint64_t>();
    } catch (const YAML::Exception&) {
      throw Error(path + ": '" + where + key + "' is not a non-negative integer");
    }
  };
  if (!root.IsMap() || !root["format"] || root["format"].as<std::string>("") != "spikemesh-report")
    throw Error(path + ": 'format' is not \"spikemesh-report\" (expected a spikemesh report.json)");
  ChipCounters c;
  c.cycles = number(root, "cycles", "");
  try {
    c.clock_mhz = need(root, "clock_mhz", "").as<double>();
  } catch (const YAML::Exception&) {
    throw Error(path + ": 'clock_mhz' is not a number");
  }
  const YAML::Node counters = need(root, "counters", ""), chip = need(root, "chip", "");
  const uint64_t cores = number(chip, "cores", "chip."), routers = number(chip, "routers", "chip.");
  auto read = [&](auto& x, const YAML::Node& n, const std::string& where) {
    using X = std::remove_reference_t<decltype(x)>;
    X::fields([&](const CounterField& f, uint64_t X::*m) { x.*m = number(n, f.key, where + "."); });
  };
  for (uint64_t k = 0; k < cores; ++k) {
    const std::string name = "chip.core_" + std::to_string(k);
    c.core_names.push_back(name);
    c.cores.emplace_back();
    read(c.cores.back(), need(counters, name, "counters."), "counters." + name);
  }
  for (const auto& kv : counters) {
    const std::string name = kv.first.as<std::string>();
    if (name.rfind("chip.noc.router_", 0) != 0) continue;
    c.router_names.push_back(name);
    c.routers.emplace_back();
    read(c.routers.back(), kv.second, "counters." + name);
  }
  if (c.routers.size() != routers)
    throw Error(path + ": counters hold " + std::to_string(c.routers.size()) + " routers, chip.routers says " +
                std::to_string(routers));
  if (counters["chip.management"]) {
    c.hosted = true;
    read(c.management, counters["chip.management"], "counters.chip.management");
  }
  // A report written before chip.input_fifo_depth was saved was priced with no input-FIFO SRAM: 0 keeps it so.
  if (chip["input_fifo_depth"]) {
    const uint64_t depth = number(chip, "input_fifo_depth", "chip.");
    if (depth > std::numeric_limits<uint32_t>::max())
      throw Error(path + ": 'chip.input_fifo_depth' is " + std::to_string(depth) + ", more than 2^32 - 1");
    c.input_fifo_depth = static_cast<uint32_t>(depth);
  }
  if (!chip["power_gating"]) {
    if (note) *note = path + " has no chip.power_gating (written before it was saved): every core is priced as powered";
    return c;
  }
  bool gating = false;
  try {
    gating = chip["power_gating"].as<bool>();
  } catch (const YAML::Exception&) {
    throw Error(path + ": 'chip.power_gating' is not true or false");
  }
  const uint64_t powered = number(chip, "cores_powered", "chip.");
  if (gating) {  // the cores with compartments mapped drew static power; the others were gated
    c.core_gated.assign(cores, true);
    for (const auto& used : need(need(root, "mapping", ""), "per_core", "mapping.")) {
      const uint64_t k = number(used, "core", "mapping.per_core[].");
      if (k >= cores)
        throw Error(path + ": mapping.per_core names core " + std::to_string(k) + " of " + std::to_string(cores));
      c.core_gated[k] = false;
    }
  }
  uint64_t n = 0;
  for (uint64_t k = 0; k < cores; ++k) n += !(k < c.core_gated.size() && c.core_gated[k]);
  if (n != powered)
    throw Error(path + ": chip.cores_powered is " + std::to_string(powered) + " but " + std::to_string(n) +
                " cores are powered (chip.power_gating " + (gating ? "true" : "false") + ", mapping.per_core)");
  return c;
}

}  // namespace spikemesh
