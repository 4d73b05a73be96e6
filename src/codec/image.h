#pragma once
// Decoded images in fastimg are 8-bit RGB, row-major HWC. Image owns its pixels; ImageView
// borrows them (a stride allows views of crops and of batch slots).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fastimg::codec {

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const Rect&) const = default;
};

struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  size_t stride = 0;  // bytes between rows (>= 3 * width)
};

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3
  void resize(int w, int h) {
    width = w;
    height = h;
    pixels.resize(static_cast<size_t>(w) * h * 3);
  }
  ImageView view() const { return {pixels.data(), width, height, static_cast<size_t>(width) * 3}; }
};

// JPEG by content: the SOI marker followed by the start of another marker.
inline bool is_jpeg(std::span<const uint8_t> b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

// Any input the writer accepts, detected by content (not by extension): baseline or progressive
// JPEG (RGB, grayscale, CMYK/YCCK), PNG (gray, RGB, palette, alpha — alpha dropped). Throws
// fastimg::Error("<what>: <problem>") for corrupt, truncated or unsupported data.
Image decode_image(std::span<const uint8_t> bytes, const std::string& what);
Image load_image_file(const std::string& path);
std::vector<uint8_t> read_file(const std::string& path);  // the whole file; one-line error naming it

// Baseline JFIF, 4:2:0, like OpenCV's imencode (what FFCV writes).
std::vector<uint8_t> encode_jpeg(const ImageView& image, int quality);

// Resize to exactly out_w x out_h: OpenCV INTER_AREA when shrinking, INTER_LINEAR when growing.
void resize_rgb(const ImageView& src, uint8_t* dst, int out_w, int out_h, size_t dst_stride);
Image resize_rgb(const ImageView& src, int out_w, int out_h);

}  // namespace fastimg::codec
