// Quality against the float model: the chip's images compared with the images the trained float
// network makes from the same x_T, S and T. The float forward is PyTorch (model/fsddim/float_images.py),
// run as a child process of `spikemesh run`: /usr/bin/python3 (Debian's torch and h5py live under it) with
// the folder holding the fsddim package on PYTHONPATH (found by find_python_tools, sim/child_process.h). It
// writes DIR/float_images.h5; the PSNR is computed here, with the same psnr_db as every other quality number.
#pragma once

#include <string>
#include <vector>

#include "samples.h"

namespace spikemesh {

// Runs the float model from `checkpoint` on the x_T, S and T recorded in `samples_h5` (written for `set`),
// writes `float_h5`, and returns the PSNR (dB) of each of `set`'s images against the float model's.
// Errors (no such checkpoint, Python or torch missing, shapes that differ) name the checkpoint, the
// config key and the command.
std::vector<double> psnr_against_float_model(const SampleSet& set, const std::string& checkpoint,
                                             const std::string& samples_h5, const std::string& float_h5);

// Checks, without Python, that `checkpoint` is what torch.save writes: a zip archive (local header "PK\3\4"
// first, an end-of-central-directory record "PK\5\6" in its last 64 KiB + 22 bytes) whose central directory
// names a data.pkl entry. Lets --check refuse a missing or garbage fsddim.float_checkpoint before a run that
// would otherwise find out only after the whole simulation. Errors name the checkpoint and what is missing.
void check_torch_checkpoint(const std::string& checkpoint);

}  // namespace spikemesh
