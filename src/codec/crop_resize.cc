#include "codec/crop_resize.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "util/error.h"

namespace fastimg::codec {

void crop_resize(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst, size_t dst_stride) {
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > src.width ||
      crop.y + crop.height > src.height) {
    fail("crop {}x{}+{}+{} outside a {}x{} image", crop.width, crop.height, crop.x, crop.y, src.width, src.height);
  }
  const cv::Mat in(crop.height, crop.width, CV_8UC3, const_cast<uint8_t*>(src.data + crop.y * src.stride + crop.x * 3),
                   src.stride);
  cv::Mat out(out_h, out_w, CV_8UC3, dst, dst_stride);
  if (crop.width == out_w && crop.height == out_h) {
    in.copyTo(out);
  } else {
    const bool shrink = crop.width >= out_w && crop.height >= out_h;
    cv::resize(in, out, out.size(), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  // OpenCV's horizontal flip swaps symmetric pairs, so in place is exact and saves a pass over a copy.
  if (flip) cv::flip(out, out, 1);
}

void disable_opencv_threads() { cv::setNumThreads(1); }

}  // namespace fastimg::codec
