#include "codec/png_decode.h"

#include <png.h>
#include <setjmp.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "util/error.h"

namespace fastimg::codec {
namespace {

constexpr uint64_t kMaxPixels = uint64_t{1} << 28;  // 16k x 16k: larger is an error, not an allocation

struct PngInput {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
  char message[256] = {};
  jmp_buf jump;
};

[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* in = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(in->message, sizeof in->message, "%s", message);
  longjmp(in->jump, 1);
}

// Warnings are about ancillary data the decode does without (as OpenCV decodes such files too).
void on_warning(png_structp, png_const_charp) {}

void read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (n > in->bytes.size() - in->pos) png_error(png, "file is truncated");
  std::memcpy(out, in->bytes.data() + in->pos, n);
  in->pos += n;
}

// Transformations to 8-bit RGB without alpha, matching OpenCV's IMREAD_COLOR.
void request_rgb8(png_structp png, png_infop info) {
  const int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0) {
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
  }
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

// libpng reports errors by longjmp: only trivially destructible locals live across setjmp here.
bool decode_into(PngInput& in, Image& image, std::vector<png_bytep>& rows) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &in, on_error, on_warning);
  if (!png) {
    std::snprintf(in.message, sizeof in.message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (setjmp(in.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (!info) png_error(png, "out of memory");
  png_set_benign_errors(png, 1);  // damaged ancillary chunks are dropped with a (silent) warning
  png_set_read_fn(png, &in, read_bytes);
  png_read_info(png, info);
  request_rgb8(png, info);
  const uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (uint64_t{w} * h > kMaxPixels) png_error(png, "image is too large");
  if (png_get_rowbytes(png, info) != size_t{w} * 3) png_error(png, "unexpected row layout after conversion to RGB");
  image.resize(static_cast<int>(w), static_cast<int>(h));
  rows.resize(h);
  for (uint32_t y = 0; y < h; ++y) rows[y] = image.pixels.data() + size_t{y} * w * 3;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

Image decode_png(std::span<const uint8_t> bytes, const std::string& what) {
  PngInput in;
  in.bytes = bytes;
  Image image;
  std::vector<png_bytep> rows;
  if (!decode_into(in, image, rows)) fail("{}: corrupt PNG: {}", what, in.message);
  return image;
}

}  // namespace fastimg::codec
