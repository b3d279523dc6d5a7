// Replacing a file in one step: readers (a plotting script polling the run folder, a sweep collecting
// results) see the old file or the complete new one, never a half-written one.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>

namespace spikemesh {

// Calls `write(tmp)` to fill a temporary file beside `path` (PATH.tmp: the same folder, so the same file
// system and the rename is atomic), then renames it over `path`. When `write` throws or the rename fails,
// the temporary file is removed and `path` is left as it was; a failed rename throws Error naming `path`.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

// The same for content written to a stream (binary): throws Error naming `path` when the temporary file
// cannot be opened or the stream fails.
void write_stream_atomically(const std::filesystem::path& path, const std::function<void(std::ostream& out)>& write);

}  // namespace spikemesh
