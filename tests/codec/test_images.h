#pragma once
// Generated test images: synthetic RGB patterns and JPEG/PNG encodings of them made with libjpeg
// and OpenCV directly (not with fastimg's encoder), so decoder tests do not test us against us.
#include <cstdio>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "codec/image.h"
#include "test_support.h"

namespace fastimg::testing {

// A smooth pattern (JPEG-friendly), different per seed.
inline codec::Image pattern_image(int w, int h, int seed = 0) {
  codec::Image img;
  img.resize(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.pixels.data() + (static_cast<size_t>(y) * w + x) * 3;
      p[0] = static_cast<uint8_t>((x * 255) / std::max(1, w - 1));
      p[1] = static_cast<uint8_t>((y * 255) / std::max(1, h - 1));
      p[2] = static_cast<uint8_t>((x + y + seed * 37) % 256);
    }
  return img;
}

struct JpegSpec {
  J_COLOR_SPACE in_space = JCS_RGB;  // JCS_RGB (3 components), JCS_GRAYSCALE (1), JCS_CMYK (4)
  bool progressive = false;
  bool adobe_marker = true;  // for CMYK: libjpeg writes it by default
  int quality = 95;
  int restart_interval = 0;  // MCUs between restart markers; 0 = none
  int luma_h = 2, luma_v = 2;  // luma sampling factors: 2x2 = 4:2:0, 2x1 = 4:2:2, 1x1 = 4:4:4
  J_COLOR_SPACE stored_space = JCS_UNKNOWN;  // JCS_RGB: store RGB untransformed (Adobe transform 0)
};

// Encodes interleaved samples (components per in_space) with the libjpeg API.
inline std::vector<uint8_t> libjpeg_encode(const uint8_t* samples, int w, int h, const JpegSpec& spec) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = spec.in_space == JCS_GRAYSCALE ? 1 : spec.in_space == JCS_CMYK ? 4 : 3;
  cinfo.in_color_space = spec.in_space;
  jpeg_set_defaults(&cinfo);
  if (spec.in_space == JCS_CMYK) jpeg_set_colorspace(&cinfo, JCS_CMYK);
  if (spec.stored_space != JCS_UNKNOWN) jpeg_set_colorspace(&cinfo, spec.stored_space);
  cinfo.write_Adobe_marker = spec.adobe_marker ? TRUE : FALSE;
  jpeg_set_quality(&cinfo, spec.quality, TRUE);
  cinfo.restart_interval = static_cast<unsigned>(spec.restart_interval);
  if (cinfo.num_components == 3) {
    cinfo.comp_info[0].h_samp_factor = spec.luma_h;
    cinfo.comp_info[0].v_samp_factor = spec.luma_v;
  }
  if (spec.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const int stride = w * cinfo.input_components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(samples) + static_cast<size_t>(cinfo.next_scanline) * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buf, buf + size);
  free(buf);
  return out;
}

inline std::vector<uint8_t> libjpeg_encode(const codec::Image& img, const JpegSpec& spec = {}) {
  return libjpeg_encode(img.pixels.data(), img.width, img.height, spec);
}

// PNG through OpenCV (which wants BGR).
inline std::vector<uint8_t> png_encode(const codec::Image& img) {
  cv::Mat rgb(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> out;
  cv::imencode(".png", bgr, out);
  return out;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The shared ImageNet photographs, sorted by name; every `step`-th of them.
inline std::vector<std::filesystem::path> sample_photographs(size_t step = 1) {
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(shared_dir() / "data/imagenet-sample")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::filesystem::path> picked;
  for (size_t i = 0; i < files.size(); i += step) picked.push_back(files[i]);
  return picked;
}

// Mean absolute difference per channel value.
inline double mean_abs_diff(const uint8_t* a, const uint8_t* b, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return n ? sum / n : 0;
}

}  // namespace fastimg::testing
