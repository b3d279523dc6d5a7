// The `trace:` section of a run config turned into a Tracer (hw/tracer.h), and the trace files: run.vcd +
// run.gtkw (the tracer's waveforms) and trace.h5 (the tracer's timeline and probed states, with the chip's
// per-timestep raster and counters, hw/chip_snapshot.h). Layout and signal meanings: traces/README.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "chip_snapshot.h"
#include "config.h"
#include "network.h"
#include "tracer.h"

namespace spikemesh {

// Null when the config asks for no trace. Validates trace.* against the network (probes, patterns) and
// the window against the run: `calls` network calls (1 outside the FSDDIM loop) of `timesteps_per_call`
// timesteps. Errors name the config file and the key.
std::unique_ptr<Tracer> make_tracer(const RunConfig& cfg, const Network& net, uint64_t calls,
                                    uint64_t timesteps_per_call);

// Writes run.vcd and run.gtkw (trace.vcd) and trace.h5 (trace.hdf5) into `dir`, each through a temporary
// file renamed into place. `timesteps`: the traced chip's record (Chip::timestep_record). Prints what it
// wrote.
void write_trace_outputs(const Tracer& tracer, const ChipTimestepRecorder& timesteps, const RunConfig& cfg,
                         const Network& net, const std::filesystem::path& dir);

}  // namespace spikemesh
