// nvJPEG whole-image decode against libjpeg-turbo (codec::decode_image) on the ImageNet sample JPEGs.
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

#include "codec/image.h"
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

TEST(NvjpegDecoder, WholeImagesMatchLibjpegTurboWithinTwoLevels) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_NVJPEG)
  const auto jpegs = sample_jpegs(64);
  ASSERT_FALSE(jpegs.empty());
  NvjpegDecoder gpu(0);
  std::vector<GpuDecodeJob> jobs;
  std::vector<Image> expected;
  std::vector<uint8_t*> buffers;
  for (const auto& jpeg : jpegs) {
    expected.push_back(decode_image(jpeg, "sample"));
    const auto info = gpu.read_header(jpeg, "sample");
    ASSERT_EQ(info.width, expected.back().width);
    uint8_t* dst = nullptr;
    ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dst), size_t(info.width) * info.height * 3), cudaSuccess);
    buffers.push_back(dst);
    jobs.push_back({jpeg, dst, info.width, info.height, "sample"});
  }
  gpu.decode(jobs, nullptr);
  double worst = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::vector<uint8_t> got(expected[i].pixels.size());
    ASSERT_EQ(cudaMemcpy(got.data(), buffers[i], got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    double sum = 0;
    for (size_t k = 0; k < got.size(); ++k) sum += std::abs(int(got[k]) - int(expected[i].pixels[k]));
    const double mad = sum / static_cast<double>(got.size());
    worst = std::max(worst, mad);
    EXPECT_LT(mad, 2.0) << "image " << i;
    cudaFree(buffers[i]);
  }
  RecordProperty("worst_mean_abs_diff", std::to_string(worst));
  std::cout << "nvJPEG vs libjpeg-turbo: worst per-image mean abs difference " << worst << " levels; hardware backend "
            << (gpu.hardware() ? "yes" : "no") << "\n";
#endif
}

TEST(NvjpegDecoder, CorruptJpegErrorNamesTheSample) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_NVJPEG)
  auto jpegs = sample_jpegs(1);
  ASSERT_FALSE(jpegs.empty());
  NvjpegDecoder gpu(0);
  const auto info = gpu.read_header(jpegs[0]);
  // The header survives, the entropy-coded data is cut short.
  std::vector<uint8_t> bad(jpegs[0].begin(), jpegs[0].begin() + jpegs[0].size() / 8);
  uint8_t* dst = nullptr;
  const size_t bytes = size_t(info.width) * info.height * 3;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dst), bytes * 2), cudaSuccess);
  std::vector<GpuDecodeJob> jobs = {{jpegs[0], dst, info.width, info.height, "sample 0"},
                                    {bad, dst + bytes, info.width, info.height, "sample 17"}};
  try {
    gpu.decode(jobs, nullptr);
    cudaDeviceSynchronize();
    std::cout << "nvJPEG decoded a truncated stream without an error (it may fill the rest)\n";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 17"), std::string::npos) << e.what();
  }
  std::vector<GpuDecodeJob> headerless = {{std::span<const uint8_t>(jpegs[0]).first(40), dst, info.width, info.height,
                                           "sample 18"}};
  try {
    gpu.read_header(headerless[0].jpeg, "sample 18");
    ADD_FAILURE() << "no error for a JPEG cut inside its header";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 18"), std::string::npos) << e.what();
  }
  cudaFree(dst);
#endif
}

}  // namespace
}  // namespace fastimg::codec
