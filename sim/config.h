// Run configuration: YAML -> plain params structs (model/chip_params.h, RunParams, EnergyTable), validated
// against the field list each struct declares once (describe()). The only yaml-cpp user is sim/.
// Precedence: struct defaults < the chip file named by `chip.base` < keys in the config file < --set.
// Unknown keys, wrong types and out-of-range values are errors naming the file, the line and the full
// key path (or the --set argument).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chip_params.h"
#include "network.h"
#include "netx_import.h"
#include "tracer.h"

namespace spikemesh {

// The FSDDIM denoising loop on the chip: when `images` > 0, `spikemesh run` generates images
// with the network (an FSDDIM export) instead of running a stimulus.
struct FsddimParams {
  uint32_t images = 0;  // images to generate; 0: no denoising loop
  // `spikemesh sample` always runs the loop (0 images would write empty files): its default image count.
  static constexpr uint32_t kSampleImages = 4;
  uint32_t steps = 10;           // DDIM steps S
  uint32_t snn_timesteps = 0;    // T; 0: the exported model's
  uint64_t seed = 0;             // noise seed: image k uses (seed, k)
  bool trajectory = false;       // store x after every DDIM step in samples.h5
  bool check_reference = true;   // also run the reference sampler and require identical images
  bool gate_bias = true;         // switch each population's bias off after its T-step window
  uint32_t weight_bits = 0;      // at most this many weight bits per projection; 0: as exported
  std::string quality = "none";  // "psnr": PSNR against the exported model's images (same S, seed)
  std::string float_checkpoint;  // the trained float model: PSNR of the chip's images against its images
  std::string pipeline = "1";    // images in flight: "1" (one after the other), K >= 2, or "auto"

  template <class V>
  void describe(V& v) {
    v.field("images", images, 0, 1u << 20,
            "images to generate with the FSDDIM loop on the chip (0: run the stimulus instead)");
    v.field("steps", steps, 1, 100000, "DDIM steps S (strided over the model's diffusion steps)");
    v.field("snn_timesteps", snn_timesteps, 0, 64, "SNN timesteps T per DDIM step (0: the exported model's)");
    v.field("seed", seed, 0, ~uint64_t{0} >> 1, "noise seed; image k draws its noise from (seed, k)");
    v.field("trajectory", trajectory, "store x after every DDIM step in samples.h5");
    v.field("check_reference", check_reference,
            "also run the fixed-point reference sampler and require bit-identical images");
    v.field("weight_bits", weight_bits, 0, 8, "limit every projection to this many weight bits (1..8; 0: as exported)");
    v.field("quality", quality,
            "'psnr': also generate the exported model's images (exported T and weight bits, same S and seed) "
            "with the reference sampler and report the PSNR of the chip's images against them; 'none': skip");
    v.field("float_checkpoint", float_checkpoint,
            "float model checkpoint (PyTorch, model/fsddim): also generate its images from the "
            "same x_T, S and T and report the PSNR of the chip's images against them; '': skip");
    v.field("pipeline", pipeline,
            "images in flight on the chip (docs/architecture.md#image-pipelining): 1 runs them one after the "
            "other; K >= 2 staggers K images by T timesteps (at most ceil((T + D) / T)); 'auto': as many as fit, "
            "at most the image count");
    v.field("gate_bias", gate_bias,
            "switch each population's bias off T timesteps after its first input (same images, fewer spikes)");
  }
};

// What to run, besides the chip. Paths are relative to the config file that names them.
struct RunParams {
  std::string network;                            // network file (HDF5), required
  std::string stimulus = "none";                  // stimulus file (HDF5), "none", or "random"
  std::string energy = "energy/davies2018.yaml";  // energy table (YAML)
  uint32_t timesteps = 16;
  uint32_t context = 0;   // bias-table context
  uint64_t seed = 1;      // seed of a random stimulus
  double activity = 0.5;  // share of input neurons that fire per step in a random stimulus
  FsddimParams fsddim;
  TraceParams trace;  // the `trace:` section (hw/tracer.h)
  NetxOptions netx;   // the `netx:` section: import options of a .net network (model/netx_import.h)

  template <class V>
  void describe(V& v) {
    v.field("network", network,
            "network file (HDF5, docs/network-format.md) or lava-dl netx network (.net, imported on load, "
            "docs/netx.md), relative to this config");
    v.field("stimulus", stimulus,
            "stimulus file (HDF5 /inputs/<population>, /biases/<population>), 'none', or 'random'");
    v.field("energy", energy, "energy table (YAML, configs/energy/), relative to this config");
    v.field("timesteps", timesteps, 1, 1u << 30, "timesteps to run");
    v.field("context", context, 0, 1u << 30, "bias-table context (e.g. the diffusion step)");
    v.field("seed", seed, 0, ~uint64_t{0} >> 1, "seed of a random stimulus");
    v.field("activity", activity, 0.0, 1.0, "share of input neurons firing per step in a random stimulus");
    v.section("fsddim", fsddim);
    v.section("trace", trace);
    v.section("netx", netx);
  }
};

// Energy per event (pJ) and static power (mW). An event without a price (key absent) is reported as
// unpriced and contributes nothing; every table names its sources.
struct EnergyTable {
  std::string name;
  std::string source;
  std::optional<double> synop_dense_pj, synop_sparse_pj, synop_conv_pj, word_read_pj;
  std::optional<double> update_active_pj, update_inactive_pj, spike_pj, message_out_pj, message_in_pj;
  std::optional<double> hop_ew_pj, hop_ns_pj, chip_link_pj, tile_pj;
  std::optional<double> management_cycle_pj;
  double core_static_mw = 0.0, router_static_mw = 0.0;
  // A core's input FIFO deeper than the one its static figure covers holds more SRAM: each entry beyond
  // input_fifo_depth_in_core_static draws input_fifo_entry_static_mw more (docs/sources.md#input-fifo).
  std::optional<double> input_fifo_entry_static_mw;
  uint32_t input_fifo_depth_in_core_static = 16;

  template <class V>
  void describe(V& v) {
    v.field("name", name, "table name");
    v.field("source", source, "where the numbers come from");
    v.group("event_pj", [&](V& s) {
      s.field("synop_dense", synop_dense_pj, 0.0, 1e9, "per synaptic op on a dense list");
      s.field("synop_sparse", synop_sparse_pj, 0.0, 1e9, "per synaptic op on a sparse list");
      s.field("synop_conv", synop_conv_pj, 0.0, 1e9, "per synaptic op through a shared conv kernel");
      s.field("word_read", word_read_pj, 0.0, 1e9, "per 64-bit synaptic memory word read");
      s.field("update_active", update_active_pj, 0.0, 1e9, "per active compartment update");
      s.field("update_inactive", update_inactive_pj, 0.0, 1e9, "per inactive compartment update");
      s.field("spike", spike_pj, 0.0, 1e9, "per spike generated");
      s.field("message_out", message_out_pj, 0.0, 1e9, "per spike message sent (output-axon lookup)");
      s.field("message_in", message_in_pj, 0.0, 1e9, "per spike message received (input-axon lookup)");
      s.field("hop_ew", hop_ew_pj, 0.0, 1e9, "per flit over an on-chip east-west link");
      s.field("hop_ns", hop_ns_pj, 0.0, 1e9, "per flit over an on-chip north-south link");
      s.field("chip_link", chip_link_pj, 0.0, 1e9, "per flit over a chip-crossing link");
      s.field("tile", tile_pj, 0.0, 1e9, "per flit delivered by a router to one of its cores (within-tile spike)");
      s.field("management_cycle", management_cycle_pj, 0.0, 1e9,
              "per busy cycle of the management core (compute and message handling; no public figure: absent, it is "
              "reported as unpriced)");
    });
    v.group("static_mw", [&](V& s) {
      s.field("core", core_static_mw, 0.0, 1e6, "static power per core slot");
      s.field("router", router_static_mw, 0.0, 1e6, "static power per router");
      s.field("input_fifo_entry", input_fifo_entry_static_mw, 0.0, 1e6,
              "static power per input-FIFO entry of a core beyond input_fifo_depth_in_core_static (the SRAM of one "
              "32-bit message; absent: reported as unpriced when a core has such entries)");
    });
    v.field("input_fifo_depth_in_core_static", input_fifo_depth_in_core_static, 0u, 1u << 20,
            "input-FIFO entries per core that static_mw.core already covers (the profiles' assumed 16)");
  }
};

struct RunConfig {
  std::string path;       // the config file
  std::string chip_base;  // chip file named by chip.base ("" if none), resolved
  ChipParams chip;
  RunParams run;
  // Paths of run.network / run.stimulus / run.energy resolved against the config file's folder.
  std::string network_path() const;
  std::string stimulus_path() const;
  std::string energy_path() const;
  std::string float_checkpoint_path() const;  // '' when unset
};

// The network a config (or a command line) names: a spikemesh network file, or a lava-dl netx network
// (a name ending in `.net`) imported on load (docs/netx.md). What the import reports (lava-dl's clipped
// weights) is printed as a warning. Errors name the file, and for a .net the layer and its field.
// A spikemesh network file, or a lava-dl .net imported with `netx` (which only a .net may set).
Network load_network(const std::string& path, const NetxOptions& netx = {});
// import_netx, with lava-dl's warnings (netx_warnings: clipped weights, axonal delays) printed to stderr.
Network import_netx_reporting(const std::string& path, const NetxOptions& netx);

// `sets`: "key.path=value" strings from --set, applied last.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& sets);
// A chip file alone (its keys are those under `chip:` in a run config).
ChipParams load_chip_config(const std::string& path, const std::vector<std::string>& sets);
EnergyTable load_energy_table(const std::string& path);

// The effective config as YAML (every key, with the values used), loadable again.
std::string dump_run_config(const RunConfig& c);
// Every key of a run config with its default, range and description (for --help).
std::string run_config_help();

}  // namespace spikemesh
