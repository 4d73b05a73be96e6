#pragma once
// The GPU half of nvJPEG decoding: crop + resize + flip of decoded RGB images straight into a
// uint8 NHWC batch. Torch-free CUDA (nvcc compiles it without the LibTorch headers).
#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastimg::codec::internal {

// One decoded image and the window of it that becomes one batch slot.
struct GpuCropJob {
  const uint8_t* src;  // device, interleaved RGB
  int64_t pitch;       // bytes between rows of src
  int width, height;   // of src
  int crop_x, crop_y, crop_w, crop_h;
  int flip;
};

// jobs: device array of `count`; dst: device [count, out_h, out_w, 3]. Per axis, shrinking
// averages the exact fractional source area under each output pixel (like INTER_AREA) and growing
// interpolates bilinearly between pixel centres (like INTER_LINEAR), edges replicated.
cudaError_t launch_crop_resize(const GpuCropJob* jobs, int count, int out_w, int out_h, uint8_t* dst,
                               cudaStream_t stream);

}  // namespace fastimg::codec::internal
