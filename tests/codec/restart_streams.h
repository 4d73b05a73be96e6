#pragma once
// Test streams with restart markers: the shared photographs re-wrapped losslessly (4:2:0, as
// ImageNet's own encoders made them) plus libjpeg's 4:2:2, 4:4:4 and grayscale encodings of
// some of them, each with a restart interval that tiles its MCU rows.
#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "codec/image.h"
#include "codec/jpeg_header.h"
#include "codec/restart_cut.h"
#include "codec/restart_encode.h"
#include "codec/test_images.h"
#include "test_support.h"

namespace fastimg::testing {

inline std::vector<std::filesystem::path> every_eighth_sample() { return sample_photographs(8); }

// A photograph's pixels re-encoded by libjpeg with the given sampling and a restart interval
// that tiles its MCU rows.
inline std::vector<uint8_t> with_sampling(const codec::Image& photo, int luma_h, int luma_v, bool gray) {
  JpegSpec spec;
  spec.luma_h = luma_h, spec.luma_v = luma_v;
  if (gray) {
    std::vector<uint8_t> y(static_cast<size_t>(photo.width) * photo.height);
    for (size_t i = 0; i < y.size(); ++i) y[i] = photo.pixels[3 * i + 1];
    spec.in_space = JCS_GRAYSCALE;
    spec.restart_interval = codec::restart_interval_for((photo.width + 7) / 8, 4);
    return libjpeg_encode(y.data(), photo.width, photo.height, spec);
  }
  spec.restart_interval = codec::restart_interval_for((photo.width + 8 * luma_h - 1) / (8 * luma_h), 4);
  return libjpeg_encode(photo, spec);
}

// Every kind of test stream: the shared sample re-wrapped losslessly (4:2:0, ImageNet's own
// encoders) plus 4:2:2, 4:4:4 and grayscale encodings of some of them.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> restart_streams() {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> streams;
  int n = 0;
  for (const auto& path : every_eighth_sample()) {
    auto source = read_bytes(path.string());
    if (!codec::passthrough_obstacle(codec::parse_jpeg_header(source)).empty()) continue;
    streams.emplace_back(path.filename().string(), codec::add_restart_markers(source, 4, path.string()));
    if (n++ % 4 != 0) continue;
    const codec::Image photo = codec::decode_image(source, path.string());
    streams.emplace_back(path.filename().string() + " 4:2:2", with_sampling(photo, 2, 1, false));
    streams.emplace_back(path.filename().string() + " 4:4:4", with_sampling(photo, 1, 1, false));
    streams.emplace_back(path.filename().string() + " gray", with_sampling(photo, 1, 1, true));
  }
  return streams;
}

}  // namespace fastimg::testing
