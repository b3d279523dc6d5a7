// Writes 8-bit grayscale PNG files (zlib-compressed), and tiles images into a grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spikemesh {

// Writes `pixels` (height rows of width bytes) to `path` atomically (temporary file, then rename).
void write_png_gray(const std::string& path, uint32_t width, uint32_t height, const std::vector<uint8_t>& pixels);

// Tiles `images` (each channels x height x width values in [-1, 1]; the first channel is shown) into a
// grid of `columns` with a 2-pixel border, scaled by an integer `zoom`.
std::vector<uint8_t> image_grid(const std::vector<std::vector<double>>& images, uint32_t height, uint32_t width,
                                uint32_t columns, uint32_t zoom, uint32_t* grid_width, uint32_t* grid_height);

}  // namespace spikemesh
