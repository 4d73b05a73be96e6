#include "codec/crop_resize.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "codec/separable_resize.h"
#include "util/error.h"

namespace fastimg::codec {

namespace {

// The crop of src as a Mat header (no copy), or a one-line error if it is not inside src.
cv::Mat crop_of(const ImageView& src, Rect crop) {
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > src.width ||
      crop.y + crop.height > src.height) {
    fail("crop {}x{}+{}+{} outside a {}x{} image", crop.width, crop.height, crop.x, crop.y, src.width, src.height);
  }
  return cv::Mat(crop.height, crop.width, CV_8UC3, const_cast<uint8_t*>(src.data + crop.y * src.stride + crop.x * 3),
                 src.stride);
}

void resize_into(const cv::Mat& in, int interpolation, int out_w, int out_h, bool flip, uint8_t* dst,
                 size_t dst_stride) {
  cv::Mat out(out_h, out_w, CV_8UC3, dst, dst_stride);
  if (in.cols == out_w && in.rows == out_h) {
    in.copyTo(out);
  } else {
    cv::resize(in, out, out.size(), 0, 0, interpolation);
  }
  // OpenCV's horizontal flip swaps symmetric pairs, so in place is exact and saves a pass over a copy.
  if (flip) cv::flip(out, out, 1);
}

}  // namespace

void crop_resize(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst, size_t dst_stride) {
  const cv::Mat in = crop_of(src, crop);
  // Enlarging on both axes, separable_resize would be bilinear on both, which is OpenCV's 8-bit
  // INTER_LINEAR (fixed point, each source row filtered once): 1.15-1.4x faster, flip included.
  if (crop.width <= out_w && crop.height <= out_h) return resize_into(in, cv::INTER_LINEAR, out_w, out_h, flip, dst, dst_stride);
  separable_resize(src, crop, out_w, out_h, flip, dst, dst_stride);
}

void resize_linear(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst, size_t dst_stride) {
  resize_into(crop_of(src, crop), cv::INTER_LINEAR, out_w, out_h, flip, dst, dst_stride);
}

void resample_window(const ImageView& src, double x, double y, double w, double h, int out_w, int out_h, bool flip,
                     uint8_t* dst, size_t dst_stride) {
  const cv::Mat in(src.height, src.width, CV_8UC3, const_cast<uint8_t*>(src.data), src.stride);
  cv::Mat out(out_h, out_w, CV_8UC3, dst, dst_stride);
  const double fx = w / out_w, fy = h / out_h;
  // Output pixel centre (i + 0.5) maps to source position x + (i + 0.5) * fx, i.e. source pixel
  // coordinate that minus 0.5.
  double m[6] = {fx, 0, x + 0.5 * fx - 0.5, 0, fy, y + 0.5 * fy - 0.5};
  const cv::Mat map(2, 3, CV_64F, m);
  cv::warpAffine(in, out, map, out.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  // A negative x scale in the map would fold the flip in, but warpAffine's fixed-point positions
  // then round differently from the unflipped image; the in-place swap is exact and cheap.
  if (flip) cv::flip(out, out, 1);
}

void disable_opencv_threads() { cv::setNumThreads(1); }

}  // namespace fastimg::codec
