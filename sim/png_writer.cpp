// PNG writer (grayscale, 8 bit, one IDAT chunk); see png_writer.h.
#include "png_writer.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "atomic_file.h"
#include "error.h"

namespace spikemesh {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

void chunk(std::vector<uint8_t>& out, const char type[4], const std::vector<uint8_t>& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, static_cast<uint32_t>(crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start))));
}

}  // namespace

void write_png_gray(const std::string& path, uint32_t width, uint32_t height, const std::vector<uint8_t>& pixels) {
  if (pixels.size() != uint64_t{width} * height) throw Error(path + ": internal: pixel count does not match the size");
  std::vector<uint8_t> raw;  // each row starts with filter type 0 (none)
  raw.reserve(uint64_t{height} * (width + 1));
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), pixels.begin() + uint64_t{y} * width, pixels.begin() + uint64_t{y + 1} * width);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(zlen);
  if (compress2(z.data(), &zlen, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK)
    throw Error(path + ": PNG compression failed");
  z.resize(zlen);
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put_u32(ihdr, width);
  put_u32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit, grayscale, deflate, adaptive filters, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  write_stream_atomically(path, [&](std::ostream& f) {
    f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  });
}

std::vector<uint8_t> image_grid(const std::vector<std::vector<double>>& images, uint32_t height, uint32_t width,
                                uint32_t columns, uint32_t zoom, uint32_t* grid_width, uint32_t* grid_height) {
  const uint32_t n = static_cast<uint32_t>(images.size());
  columns = std::max(1u, std::min(columns, n));
  const uint32_t rows = (n + columns - 1) / columns, border = 2;
  const uint32_t cw = width * zoom + border, ch = height * zoom + border;
  *grid_width = columns * cw + border;
  *grid_height = rows * ch + border;
  std::vector<uint8_t> px(uint64_t{*grid_width} * *grid_height, 64);  // dark grey frame
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t ox = border + (k % columns) * cw, oy = border + (k / columns) * ch;
    for (uint32_t y = 0; y < height * zoom; ++y)
      for (uint32_t x = 0; x < width * zoom; ++x) {
        const double v = images[k][uint64_t{y / zoom} * width + x / zoom];
        px[uint64_t{oy + y} * *grid_width + ox + x] =
            static_cast<uint8_t>(std::lround((std::clamp(v, -1.0, 1.0) + 1.0) * 127.5));
      }
  }
  return px;
}

}  // namespace spikemesh
