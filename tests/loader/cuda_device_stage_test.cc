// The GPU device stage against the CPU one (loader::to_model_input). Skipped without a GPU: these
// run only in FASTIMG_CUDA builds on a machine with a CUDA device.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loader/device_stage.h"
#if defined(FASTIMG_HAS_CUDA)
#include "loader/cuda_device_stage.h"
#endif

namespace fastimg::loader {
namespace {

#if defined(FASTIMG_HAS_CUDA)
#define SKIP_WITHOUT_GPU()                                                          \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine"
#else
#define SKIP_WITHOUT_GPU() GTEST_SKIP() << "CPU build: configure with -DFASTIMG_CUDA=ON to build the GPU device stage"
#endif

struct Case {
  int64_t n, h, w;
  torch::ScalarType dtype;
  bool channels_last;
  bool pinned;
};

void check(const Case& c) {
#if defined(FASTIMG_HAS_CUDA)
  torch::manual_seed(1);
  auto opts = torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(c.pinned);
  auto host = torch::randint(0, 256, {c.n, c.h, c.w, 3}, torch::TensorOptions().dtype(torch::kUInt8));
  if (c.pinned) host = host.to(opts);
  auto ref = to_model_input(host, torch::kCPU, false, torch::kFloat32);
  auto got = to_model_input_cuda(host, torch::Device(torch::kCUDA, 0), c.dtype, c.channels_last);
  EXPECT_EQ(got.scalar_type(), c.dtype);
  EXPECT_EQ(got.sizes(), ref.sizes());
  EXPECT_TRUE(got.is_contiguous(c.channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  // bf16 keeps 8 mantissa bits: |x| <= 2.7 rounds to within 2^-7 relative.
  const double tol = c.dtype == torch::kFloat32 ? 1e-5 : (c.dtype == torch::kFloat16 ? 2e-3 : 1.6e-2);
  auto diff = (got.to(torch::kCPU, torch::kFloat32) - ref).abs().max().item<double>();
  EXPECT_LE(diff, tol) << "n=" << c.n << " h=" << c.h << " w=" << c.w;
#else
  (void)c;
#endif
}

TEST(CudaDeviceStage, ChannelsLastMatchesCpuForEachDtype) {
  SKIP_WITHOUT_GPU();
  for (auto dtype : {torch::kFloat32, torch::kFloat16, torch::kBFloat16}) check({4, 32, 48, dtype, true, true});
}

TEST(CudaDeviceStage, PlanarNchwMatchesCpu) {
  SKIP_WITHOUT_GPU();
  check({3, 17, 19, torch::kBFloat16, false, true});
  check({2, 8, 8, torch::kFloat32, false, false});
}

TEST(CudaDeviceStage, OddSizesTakeTheScalarTail) {
  SKIP_WITHOUT_GPU();
  // 1 * 5 * 7 * 3 = 105 bytes: six 16-byte chunks and a 9-byte tail.
  check({1, 5, 7, torch::kFloat16, true, false});
}

TEST(CudaDeviceStage, ComputeStreamWaitsForTheCopyOnly) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  auto host = torch::randint(0, 256, {8, 64, 64, 3}, torch::kUInt8).pin_memory();
  CudaDeviceStage stage(torch::Device(torch::kCUDA, 0));
  auto staged = stage.stage(host, torch::kBFloat16, true);
  staged.copied->synchronize();
  auto ref = to_model_input(host, torch::kCPU, true, torch::kFloat32);
  EXPECT_TRUE(torch::allclose(staged.input.to(torch::kCPU, torch::kFloat32), ref, 1.6e-2, 1.6e-2));
#endif
}

TEST(CudaDeviceStage, RejectsNonImageInput) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  EXPECT_ANY_THROW(to_model_input_cuda(torch::zeros({2, 3, 4, 4}), torch::kCUDA, torch::kFloat32, true));
  EXPECT_ANY_THROW(to_model_input_cuda(torch::zeros({2, 4, 4, 3}, torch::kUInt8), torch::kCUDA, torch::kInt32, true));
#endif
}

}  // namespace
}  // namespace fastimg::loader
