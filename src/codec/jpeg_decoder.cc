#include "codec/jpeg_decoder.h"

#include <numeric>

#include <csetjmp>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "codec/crop_resize.h"
#include "codec/huffman_decoder.h"
#include "util/error.h"

namespace fastimg::codec {

// libjpeg reports fatal errors through error_exit, which must not return: we longjmp back to the
// frame that called libjpeg and throw from there (never exit(), never unwind through C frames).
struct JpegDecoder::State {
  jpeg_decompress_struct cinfo;
  struct ErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
  } err;
  BaselineHuffmanDecoder huffman;

  State() {
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = [](j_common_ptr c) {
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      (*c->err->format_message)(c, e->message);
      std::longjmp(e->jump, 1);
    };
    err.pub.output_message = [](j_common_ptr) {};  // warnings (e.g. premature end) stay silent
    jpeg_create_decompress(&cinfo);
  }
  ~State() { jpeg_destroy_decompress(&cinfo); }
};

namespace {

// Starts decoding `jpeg` with RGB output; reports the header through cinfo.
void begin(jpeg_decompress_struct& cinfo, std::span<const uint8_t> jpeg) {
  jpeg_mem_src(&cinfo, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&cinfo, TRUE);
}

void set_rgb_output(jpeg_decompress_struct& cinfo) {
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    // Files we write are RGB or grayscale; CMYK is converted by the writer.
    ERREXIT(&cinfo, JERR_CONVERSION_NOTIMPL);
  }
  cinfo.out_color_space = JCS_RGB;
}

// The next `count` output rows into buf, as many per libjpeg call as it will give: one row per
// call paid libjpeg's per-call dispatch (and the upsampler's spare-row copy) for every row.
void read_rows(jpeg_decompress_struct& cinfo, uint8_t* buf, size_t row_bytes, int count) {
  constexpr int kBatch = 16;  // at least any image's iMCU row height
  JSAMPROW rows[kBatch];
  for (int row = 0; row < count;) {
    const int n = std::min(kBatch, count - row);
    for (int i = 0; i < n; ++i) rows[i] = buf + static_cast<size_t>(row + i) * row_bytes;
    const auto got = static_cast<int>(jpeg_read_scanlines(&cinfo, rows, static_cast<JDIMENSION>(n)));
    if (got == 0) break;  // no more rows (a suspending source; ours never suspends)
    row += got;
  }
}

[[noreturn]] void throw_error(std::string_view what, const char* message) {
  fail("{}: {}", what, message);
}

}  // namespace

JpegDecoder::JpegDecoder() : state_(std::make_unique<State>()) {}
JpegDecoder::~JpegDecoder() = default;

uint8_t* JpegDecoder::scratch(size_t bytes) {
  if (bytes > scratch_.size()) {
    ++scratch_reallocations_;
    scratch_.resize(std::max(bytes, scratch_.size() + scratch_.size() / 2));
  }
  return scratch_.data();
}

void JpegDecoder::reserve(size_t bytes) {
  if (bytes > scratch_.size()) {
    scratch_.resize(bytes);
  }
}

int jpeg_scale_for(int crop_w, int crop_h, int out_w, int out_h) {
  // Powers of two only: libjpeg-turbo's 1/8, 2/8 and 4/8 IDCTs are SIMD, the 3/8 ... 7/8 ones (and
  // the 10x10 ... 14x14 ones their chroma then needs) are plain C, which cost more than the extra
  // pixels an 8/8 decode makes. The smallest such M > 1 leaves the scaled crop within 2x of the
  // output, the range the bilinear resize below is meant for.
  for (int m = 1; m < 8; m *= 2) {
    // libjpeg's scaled size is ceil(size * m / 8); a crop keeps that proportion.
    const int64_t sw = (static_cast<int64_t>(crop_w) * m + 7) / 8;
    const int64_t sh = (static_cast<int64_t>(crop_h) * m + 7) / 8;
    if (sw >= out_w && sh >= out_h) return m;
  }
  return 8;
}

Rect align_crop_to_scaled_grid(Rect crop, int width, int height, int out_w, int out_h) {
  Rect c = crop;
  // Growing a crop can lower M, which needs a coarser grid: a few rounds settle it.
  for (int round = 0; round < 4; ++round) {
    const int m = jpeg_scale_for(c.width, c.height, out_w, out_h);
    const int step = 8 / std::gcd(m, 8);  // x * m / 8 is whole when x is a multiple of this
    if (step == 1) return c;
    auto align = [step](int at, int len, int limit, int& out_at, int& out_len) {
      int end = (at + len + step - 1) / step * step;  // grow the end to the grid
      int start = at / step * step;                   // and the start
      if (end > limit) {                               // the image edge: shift inside, same length
        const int shift = (end - limit + step - 1) / step * step;
        end -= shift;
        start -= shift;
      }
      if (start < 0 || end - start < len) return false;
      out_at = start;
      out_len = end - start;
      return true;
    };
    Rect next = c;
    if (!align(c.x, c.width, width, next.x, next.width) || !align(c.y, c.height, height, next.y, next.height)) return crop;
    if (jpeg_scale_for(next.width, next.height, out_w, out_h) == m) return next;
    c = next;
  }
  return crop;
}

bool JpegDecoder::start_entropy_decoding() {
  if (!own_huffman_ || !state_->huffman.install(state_->cinfo)) return false;
  ++own_huffman_decodes_;
  return true;
}

JpegInfo JpegDecoder::read_header(std::span<const uint8_t> jpeg, std::string_view what) {
  jpeg_decompress_struct& cinfo = state_->cinfo;
  if (setjmp(state_->err.jump)) {
    jpeg_abort_decompress(&cinfo);
    throw_error(what, state_->err.message);
  }
  begin(cinfo, jpeg);
  JpegInfo info{static_cast<int>(cinfo.image_width), static_cast<int>(cinfo.image_height), cinfo.num_components};
  jpeg_abort_decompress(&cinfo);
  return info;
}

bool JpegDecoder::cut_to_crop(std::span<const uint8_t>& jpeg, Rect& crop) {
  // With our Huffman decoder the cut also ends at the crop's right edge inside an interval.
  const auto cut = cut_to_restart_intervals(jpeg, crop, cut_, /*end_at_crop=*/own_huffman_);
  if (!cut) return false;
  jpeg = cut_.stream;
  crop.x -= cut->x;
  crop.y -= cut->y;
  ++restart_cuts_;
  return cut->rows_end_mid_interval;
}

void JpegDecoder::decode_crop_resize(std::span<const uint8_t> jpeg, Rect crop, int out_w, int out_h, bool flip,
                                     uint8_t* dst, size_t dst_stride, std::string_view what) {
  std::span<const uint8_t> stream = jpeg;
  Rect region_crop = crop;
  const bool rows_end_mid_interval = restart_cut_ && cut_to_crop(stream, region_crop);
  if (!decode_stream(stream, region_crop, out_w, out_h, flip, dst, dst_stride, what, rows_end_mid_interval)) {
    // Only ours reads a cut whose rows end mid-interval, and it declined the scan (e.g. a damaged
    // SOS): decode the stream uncut.
    decode_stream(jpeg, crop, out_w, out_h, flip, dst, dst_stride, what, false);
  }
}

bool JpegDecoder::decode_stream(std::span<const uint8_t> jpeg, Rect crop, int out_w, int out_h, bool flip,
                                uint8_t* dst, size_t dst_stride, std::string_view what, bool rows_end_mid_interval) {
  state_->huffman.set_rows_end_mid_interval(rows_end_mid_interval);
  jpeg_decompress_struct& cinfo = state_->cinfo;
  // Plain locals only below: a longjmp skips destructors.
  if (setjmp(state_->err.jump)) {
    jpeg_abort_decompress(&cinfo);
    throw_error(what, state_->err.message);
  }
  begin(cinfo, jpeg);
  const int width = static_cast<int>(cinfo.image_width), height = static_cast<int>(cinfo.image_height);
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > width ||
      crop.y + crop.height > height) {
    jpeg_abort_decompress(&cinfo);
    fail("{}: crop {}x{}+{}+{} outside the {}x{} image", what, crop.width, crop.height, crop.x, crop.y, width, height);
  }
  set_rgb_output(cinfo);
  const int m = dct_scaling_ ? jpeg_scale_for(crop.width, crop.height, out_w, out_h) : 8;
  last_scale_num_ = m;
  cinfo.scale_num = static_cast<unsigned>(m);
  cinfo.scale_denom = 8;
  jpeg_start_decompress(&cinfo);
  if (!start_entropy_decoding() && rows_end_mid_interval) {
    jpeg_abort_decompress(&cinfo);
    return false;
  }

  // The crop in scaled pixels is [fx0, fx1) x [fy0, fy1), fractional; decode the whole pixels it touches.
  const int scaled_w = static_cast<int>(cinfo.output_width), scaled_h = static_cast<int>(cinfo.output_height);
  const double s = m / 8.0;
  const double fx0 = crop.x * s, fx1 = (crop.x + crop.width) * s;
  const double fy0 = crop.y * s, fy1 = (crop.y + crop.height) * s;
  const int sx0 = std::clamp(static_cast<int>(std::floor(fx0)), 0, scaled_w - 1);
  const int sy0 = std::clamp(static_cast<int>(std::floor(fy0)), 0, scaled_h - 1);
  const int sx1 = std::clamp(static_cast<int>(std::ceil(fx1)), sx0 + 1, scaled_w);
  const int sy1 = std::clamp(static_cast<int>(std::ceil(fy1)), sy0 + 1, scaled_h);
  const int sw = sx1 - sx0, sh = sy1 - sy0;

  // jpeg_crop_scanline widens the column range to iMCU boundaries: it returns the real start/width.
  JDIMENSION xoff = static_cast<JDIMENSION>(sx0), cw = static_cast<JDIMENSION>(sw);
  if (sw < scaled_w) {
    jpeg_crop_scanline(&cinfo, &xoff, &cw);
  } else {
    xoff = 0;
    cw = static_cast<JDIMENSION>(scaled_w);
  }
  const size_t row_bytes = static_cast<size_t>(cw) * 3;
  uint8_t* buf = scratch(row_bytes * static_cast<size_t>(sh));
  if (sy0 > 0) jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(sy0));
  read_rows(cinfo, buf, row_bytes, sh);
  // The rest of the image is not needed; abort resets the decoder for the next image.
  jpeg_abort_decompress(&cinfo);

  const ImageView decoded{buf, static_cast<int>(cw), sh, row_bytes};
  // A window on whole decoded pixels, shrunk by less than 2x (always so for random-resized crops
  // after DCT scaling): cv::resize's bilinear map is then exactly resample_window's, at half the
  // cost, and close to area averaging, which is several times slower at non-integer ratios.
  const bool whole = fx0 == std::floor(fx0) && fx1 == std::floor(fx1) && fy0 == std::floor(fy0) && fy1 == std::floor(fy1);
  const double wx = fx1 - fx0, wy = fy1 - fy0;
  if (whole && wx >= out_w && wy >= out_h && wx < 2.0 * out_w && wy < 2.0 * out_h) {
    resize_linear(decoded, Rect{static_cast<int>(fx0) - static_cast<int>(xoff), static_cast<int>(fy0) - sy0,
                                static_cast<int>(wx), static_cast<int>(wy)},
                  out_w, out_h, flip, dst, dst_stride);
  } else if (m == 8) {
    // Unscaled: whole-pixel crop, area resize like FFCV.
    crop_resize(decoded, Rect{crop.x - static_cast<int>(xoff), crop.y - sy0, crop.width, crop.height}, out_w, out_h,
                flip, dst, dst_stride);
  } else {
    // Scaled: the crop edges fall between scaled pixels; a bilinear map from the exact fractional
    // window keeps the geometry of a full-size crop (whole-pixel rounding shifted fine textures
    // by up to half a scaled pixel). Below 2x, bilinear is close to area and several times faster
    // than OpenCV's non-integer area path, which dominated the time of a cropped decode.
    resample_window(decoded, fx0 - static_cast<double>(xoff), fy0 - sy0, fx1 - fx0, fy1 - fy0, out_w, out_h, flip, dst,
                    dst_stride);
  }
  return true;
}

ImageView JpegDecoder::decode_full(std::span<const uint8_t> jpeg, std::string_view what) {
  jpeg_decompress_struct& cinfo = state_->cinfo;
  if (setjmp(state_->err.jump)) {
    jpeg_abort_decompress(&cinfo);
    throw_error(what, state_->err.message);
  }
  begin(cinfo, jpeg);
  set_rgb_output(cinfo);
  jpeg_start_decompress(&cinfo);
  start_entropy_decoding();
  const size_t row_bytes = static_cast<size_t>(cinfo.output_width) * 3;
  const int h = static_cast<int>(cinfo.output_height);
  uint8_t* buf = scratch(row_bytes * h);
  read_rows(cinfo, buf, row_bytes, h);
  jpeg_finish_decompress(&cinfo);
  return {buf, static_cast<int>(cinfo.output_width), h, row_bytes};
}

}  // namespace fastimg::codec
