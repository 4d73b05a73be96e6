// resize_rgb: OpenCV's resize with FFCV's interpolation choice (INTER_AREA to shrink).
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "codec/image.h"
#include "util/error.h"

namespace fastimg::codec {

void resize_rgb(const ImageView& src, uint8_t* dst, int out_w, int out_h, size_t dst_stride) {
  if (src.width <= 0 || src.height <= 0 || out_w <= 0 || out_h <= 0)
    fail("resize: invalid size {}x{} -> {}x{}", src.width, src.height, out_w, out_h);
  cv::Mat in(src.height, src.width, CV_8UC3, const_cast<uint8_t*>(src.data), src.stride);
  cv::Mat out(out_h, out_w, CV_8UC3, dst, dst_stride);
  if (out_w == src.width && out_h == src.height) {
    in.copyTo(out);
    return;
  }
  const bool shrink = out_w <= src.width && out_h <= src.height;
  cv::resize(in, out, out.size(), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
}

Image resize_rgb(const ImageView& src, int out_w, int out_h) {
  Image out;
  out.resize(out_w, out_h);
  resize_rgb(src, out.pixels.data(), out_w, out_h, static_cast<size_t>(out_w) * 3);
  return out;
}

}  // namespace fastimg::codec
