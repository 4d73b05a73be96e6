// nvJPEG decode + GPU crop/resize/flip against the CPU JpegDecoder on the ImageNet sample JPEGs.
// Skipped (with the reason) in builds without nvJPEG and on machines without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "codec/jpeg_decoder.h"
#include "test_support.h"
#if defined(FASTIMG_HAS_NVJPEG)
#include <cuda_runtime_api.h>

#include "codec/nvjpeg_decoder.h"
#include "util/error.h"
#endif

namespace fastimg::codec {
namespace {

#if defined(FASTIMG_HAS_NVJPEG)
bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
#define SKIP_WITHOUT_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device on this machine"
#else
#define SKIP_WITHOUT_GPU() GTEST_SKIP() << "built without nvJPEG (needs -DFASTIMG_CUDA=ON and nvjpeg.h)"
#endif

#if defined(FASTIMG_HAS_NVJPEG)
std::vector<std::vector<uint8_t>> sample_jpegs(size_t limit) {
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(testing::shared_dir() / "data/imagenet-sample")) {
    if (e.path().extension() == ".JPEG") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  if (paths.size() > limit) paths.resize(limit);
  std::vector<std::vector<uint8_t>> out;
  for (const auto& p : paths) {
    std::ifstream f(p, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return out;
}
#endif

TEST(NvjpegDecoder, CropResizeFlipMatchesCpuWithinTwoLevels) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_NVJPEG)
  const auto jpegs = sample_jpegs(64);
  ASSERT_FALSE(jpegs.empty());
  constexpr int kOut = 160;
  JpegDecoder cpu;
  NvjpegDecoder gpu(0);
  std::vector<GpuDecodeJob> jobs;
  std::vector<uint8_t> expected(jpegs.size() * kOut * kOut * 3);
  for (size_t i = 0; i < jpegs.size(); ++i) {
    const auto info = cpu.read_header(jpegs[i]);
    // Crops of varying size and aspect (shrinks of 1.2x..3x, one grow), alternate flips.
    const int cw = std::max(32, info.width * static_cast<int>(40 + (i * 7) % 60) / 100);
    const int ch = std::max(32, info.height * static_cast<int>(40 + (i * 11) % 60) / 100);
    const Rect crop{(info.width - cw) / 2, (info.height - ch) / 3, cw, ch};
    const bool flip = i % 2 == 1;
    cpu.decode_crop_resize(jpegs[i], crop, kOut, kOut, flip, expected.data() + i * kOut * kOut * 3, kOut * 3);
    jobs.push_back({jpegs[i], crop, flip, "sample"});
  }
  uint8_t* dst = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dst), expected.size()), cudaSuccess);
  gpu.decode_crop_resize(jobs, kOut, kOut, dst, nullptr);
  std::vector<uint8_t> got(expected.size());
  ASSERT_EQ(cudaMemcpy(got.data(), dst, got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(dst);
  const size_t per_image = kOut * kOut * 3;
  double worst = 0;
  for (size_t i = 0; i < jpegs.size(); ++i) {
    double sum = 0;
    for (size_t k = 0; k < per_image; ++k) sum += std::abs(int(got[i * per_image + k]) - int(expected[i * per_image + k]));
    const double mad = sum / per_image;
    worst = std::max(worst, mad);
    EXPECT_LT(mad, 2.0) << "image " << i;
  }
  RecordProperty("worst_mean_abs_diff", std::to_string(worst));
  std::cout << "nvJPEG vs CPU: worst per-image mean abs difference " << worst << " levels; hardware backend "
            << (gpu.hardware() ? "yes" : "no") << "\n";
#endif
}

TEST(NvjpegDecoder, CorruptJpegErrorNamesTheSample) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_NVJPEG)
  auto jpegs = sample_jpegs(1);
  ASSERT_FALSE(jpegs.empty());
  std::vector<uint8_t> bad(jpegs[0].begin(), jpegs[0].begin() + 40);  // header cut short
  NvjpegDecoder gpu(0);
  uint8_t* dst = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dst), 64 * 64 * 3 * 2), cudaSuccess);
  std::vector<GpuDecodeJob> jobs = {{jpegs[0], {}, false, "sample 0"}, {bad, {}, false, "sample 17"}};
  try {
    gpu.decode_crop_resize(jobs, 64, 64, dst, nullptr);
    cudaDeviceSynchronize();
    ADD_FAILURE() << "no error for a truncated JPEG";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 17"), std::string::npos) << e.what();
  }
  cudaFree(dst);
#endif
}

}  // namespace
}  // namespace fastimg::codec
