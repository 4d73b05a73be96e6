#pragma once
// GPU device stage (FASTIMG_HAS_CUDA builds only): a uint8 NHWC host batch to normalised model
// input on the GPU. The bytes go up with cudaMemcpyAsync on a side stream; the compute stream
// waits on an event recorded after the copy (a GPU-side wait, the host never synchronises the
// device), then one fused kernel (internal/normalize_kernel.cu) scales, shifts and casts. Same
// result as loader::to_model_input, minus its temporaries.
#if defined(FASTIMG_HAS_CUDA)
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <memory>

namespace fastimg::loader {

struct StagedInput {
  torch::Tensor input;                           // [N, 3, H, W] on the device, being computed
  std::shared_ptr<at::cuda::CUDAEvent> copied;   // the host batch may be refilled once this completes
};

// One per consumer thread: owns the side (copy) stream of its device.
class CudaDeviceStage {
 public:
  explicit CudaDeviceStage(torch::Device device);

  // Enqueues copy + normalise on the current stream of the device; returns at once. A pinned host
  // batch must not be overwritten before `copied` has completed (query() it or synchronize()).
  StagedInput stage(const torch::Tensor& host_u8_nhwc, torch::ScalarType dtype, bool channels_last);

  torch::Device device() const { return device_; }

 private:
  torch::Device device_;
  c10::cuda::CUDAStream copy_stream_;
};

// Convenience form of CudaDeviceStage::stage (one stage per thread and device). The host waits for
// the H2D copy of a pinned batch to finish (not for the kernel, nor for earlier work on the compute
// stream), so the caller may reuse the host buffer as soon as this returns.
torch::Tensor to_model_input_cuda(const torch::Tensor& host_u8_nhwc, torch::Device device, torch::ScalarType dtype,
                                  bool channels_last);

}  // namespace fastimg::loader
#endif  // FASTIMG_HAS_CUDA
