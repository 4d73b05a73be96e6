#pragma once
// Per-thread JPEG decoder on the libjpeg API. It decodes only what a crop needs: DCT scaling to the
// smallest M/8 whose scaled crop still covers the target size, jpeg_crop_scanline for the columns
// and jpeg_skip_scanlines for the rows, then one resize into the caller's buffer with the
// horizontal flip applied in place. After DCT scaling the remaining shrink is below 2x and is
// bilinear: cv::resize when the window lies on whole scaled pixels (align_crop_to_scaled_grid makes
// training crops do so), else from the exact fractional window (resample_window). Unscaled
// crops shrunk 2x or more use INTER_AREA like FFCV; upscales are bilinear. The libjpeg state and
// the scratch buffers live as long as the decoder, so steady-state decoding allocates nothing of
// ours (scratch_reallocations() counts). A stream with restart markers that tile MCU rows is first
// cut to the restart intervals overlapping the crop (codec/restart_cut.h), so rows above the crop
// and columns beside it are not even entropy-decoded. Baseline scans are entropy-decoded by
// codec/huffman_decoder.h (1.27x libjpeg-turbo's own, with restart markers and without).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "codec/image.h"
#include "codec/restart_cut.h"

namespace fastimg::codec {

struct JpegInfo {
  int width = 0, height = 0;
  int components = 0;  // 1 = grayscale, 3 = YCbCr/RGB
};

class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Errors throw fastimg::Error("<what>: <libjpeg message>").
  JpegInfo read_header(std::span<const uint8_t> jpeg, std::string_view what = "jpeg");

  // Crop (in full-resolution pixels, inside the image) resized to out_w x out_h RGB at dst.
  void decode_crop_resize(std::span<const uint8_t> jpeg, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst,
                          size_t dst_stride, std::string_view what = "jpeg");

  // Full-resolution RGB decode into the decoder's scratch; the view is valid until the next call.
  ImageView decode_full(std::span<const uint8_t> jpeg, std::string_view what = "jpeg");

  // Grows the scratch up front (e.g. to the largest image of a file) so that decoding never does.
  void reserve(size_t bytes);
  uint64_t scratch_reallocations() const { return scratch_reallocations_; }
  // The DCT scale numerator (of 8) chosen by the last decode_crop_resize; for tests and benchmarks.
  int last_scale_num() const { return last_scale_num_; }
  // Off: crop at full resolution only (the benchmark measures what DCT scaling gains).
  void set_dct_scaling(bool on) { dct_scaling_ = on; }
  // Off: entropy-decode whole rows even where restart markers would allow a cut (for benchmarks).
  void set_restart_cut(bool on) { restart_cut_ = on; }
  uint64_t restart_cuts() const { return restart_cuts_; }  // decodes that used a cut stream
  // Off: libjpeg-turbo's own Huffman decoder instead of codec/huffman_decoder.h (for benchmarks).
  void set_own_huffman_decoder(bool on) { own_huffman_ = on; }
  uint64_t own_huffman_decodes() const { return own_huffman_decodes_; }

 private:
  struct State;
  uint8_t* scratch(size_t bytes);
  bool start_entropy_decoding();  // after jpeg_start_decompress; true: ours decodes
  // Points jpeg and crop at the restart cut of the crop when there is one; true if its rows end
  // mid-interval (which only our Huffman decoder reads).
  bool cut_to_crop(std::span<const uint8_t>& jpeg, Rect& crop);
  // decode_crop_resize of a stream as it is (the source or its cut); false, having decoded
  // nothing, if its rows end mid-interval and our Huffman decoder declines its scan.
  bool decode_stream(std::span<const uint8_t> jpeg, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst,
                     size_t dst_stride, std::string_view what, bool rows_end_mid_interval);

  std::unique_ptr<State> state_;
  std::vector<uint8_t> scratch_;
  uint64_t scratch_reallocations_ = 0;
  int last_scale_num_ = 8;
  bool dct_scaling_ = true;
  bool restart_cut_ = true;
  uint64_t restart_cuts_ = 0;
  bool own_huffman_ = true;
  uint64_t own_huffman_decodes_ = 0;
  RestartCutScratch cut_;
};

// The smallest M in {1, 2, 4, 8} such that ceil(crop * M / 8) >= out in both directions (8 if
// upscaling). For M > 1 the scaled crop is then less than twice the output; libjpeg-turbo has
// SIMD IDCTs for exactly these scales.
int jpeg_scale_for(int crop_w, int crop_h, int out_w, int out_h);

// A crop grown to the grid of the M/8-scaled decode (never shrunk, kept inside the image: each
// edge moves by at most two grid steps of 8/gcd(M, 8) source pixels) so that its edges fall on
// whole scaled pixels. decode_crop_resize
// then resizes it with cv::resize instead of the slower fractional-window warp. For random
// crops (training) the shift is immaterial; returns `crop` unchanged if no such crop fits.
Rect align_crop_to_scaled_grid(Rect crop, int width, int height, int out_w, int out_h);

}  // namespace fastimg::codec
