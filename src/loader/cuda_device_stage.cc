#include "loader/cuda_device_stage.h"

#if defined(FASTIMG_HAS_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>

#include <map>
#include <string>

#include "augment/normalize.h"
#include "loader/internal/normalize_kernel.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

internal::NormalizeOutput output_type(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32:
      return internal::NormalizeOutput::kFloat32;
    case torch::kFloat16:
      return internal::NormalizeOutput::kFloat16;
    case torch::kBFloat16:
      return internal::NormalizeOutput::kBFloat16;
    default:
      fail("device stage: output dtype {} is not float32, float16 or bfloat16", std::string(c10::toString(dtype)));
  }
}

torch::Device resolve(torch::Device device) {
  if (!device.is_cuda()) fail("device stage: {} is not a CUDA device", device.str());
  return device.has_index() ? device : torch::Device(torch::kCUDA, c10::cuda::current_device());
}

}  // namespace

CudaDeviceStage::CudaDeviceStage(torch::Device device)
    : device_(resolve(device)), copy_stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device_.index())) {}

StagedInput CudaDeviceStage::stage(const torch::Tensor& host, torch::ScalarType dtype, bool channels_last) {
  if (host.dim() != 4 || host.size(3) != 3 || host.scalar_type() != torch::kUInt8) {
    fail("device stage: expected a uint8 [N, H, W, 3] batch, got {} of {} dims", std::string(c10::toString(host.scalar_type())),
         host.dim());
  }
  if (!host.device().is_cpu()) fail("device stage: the batch must be in host memory, got {}", host.device().str());
  const auto type = output_type(dtype);
  auto src = host.contiguous();
  const int64_t n = src.size(0), h = src.size(1), w = src.size(2);

  c10::cuda::CUDAGuard guard(device_);
  auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
  torch::Tensor dev_u8;
  {
    // Allocated on the copy stream, so the caching allocator orders its reuse after the copy;
    // recordStream below keeps it alive until the kernel on the compute stream has read it.
    c10::cuda::CUDAStreamGuard on_copy(copy_stream_);
    dev_u8 = torch::empty(src.sizes(), torch::TensorOptions().dtype(torch::kUInt8).device(device_));
  }
  const size_t bytes = static_cast<size_t>(src.numel());
  auto rc = cudaMemcpyAsync(dev_u8.data_ptr(), src.data_ptr(), bytes, cudaMemcpyHostToDevice, copy_stream_.stream());
  if (rc != cudaSuccess) fail("device stage: H2D copy of {} bytes: {}", bytes, cudaGetErrorString(rc));
  auto copied = std::make_shared<at::cuda::CUDAEvent>(cudaEventDisableTiming);
  copied->record(copy_stream_);
  copied->block(compute);  // GPU-side wait: the compute stream starts the kernel after the copy
  c10::cuda::CUDACachingAllocator::recordStream(dev_u8.storage().data_ptr(), compute);

  const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  auto out = torch::empty({n, 3, h, w}, torch::TensorOptions().dtype(dtype).device(device_), format);
  const auto& m = augment::kImageNetMean255;
  const auto& s = augment::kImageNetStd255;
  const float scale[3] = {1.0f / s[0], 1.0f / s[1], 1.0f / s[2]};
  const float shift[3] = {-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]};
  const auto* in = static_cast<const uint8_t*>(dev_u8.data_ptr());
  rc = channels_last
           ? internal::launch_normalize_channels_last(in, out.data_ptr(), n * h * w, type, scale, shift, compute.stream())
           : internal::launch_normalize_planar(in, out.data_ptr(), n, h * w, type, scale, shift, compute.stream());
  if (rc != cudaSuccess) fail("device stage: normalise kernel: {}", cudaGetErrorString(rc));
  // The pinned host batch must outlive the copy even if the caller drops its last reference.
  if (src.is_pinned() && src.data_ptr() != host.data_ptr()) copied->synchronize();
  return {out, copied};
}

torch::Tensor to_model_input_cuda(const torch::Tensor& host, torch::Device device, torch::ScalarType dtype,
                                  bool channels_last) {
  thread_local std::map<c10::DeviceIndex, CudaDeviceStage> stages;
  const auto dev = resolve(device);
  auto it = stages.try_emplace(dev.index(), dev).first;
  auto staged = it->second.stage(host, dtype, channels_last);
  if (host.is_pinned()) staged.copied->synchronize();
  return staged.input;
}

}  // namespace fastimg::loader
#endif  // FASTIMG_HAS_CUDA
