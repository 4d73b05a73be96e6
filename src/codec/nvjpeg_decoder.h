#pragma once
// GPU JPEG decoding (FASTIMG_HAS_NVJPEG builds only): a batch of JPEG byte spans decoded by nvJPEG
// (batched, on the hardware JPEG engine when the GPU has one and the stream is one it supports,
// else nvJPEG's default hybrid backend), then crop + resize + flip by our own kernel
// (internal/gpu_crop_resize.cu: exact-area shrink, bilinear grow; no NPP) straight into a uint8
// NHWC batch in device memory. Crops are in full-resolution pixels, as for JpegDecoder, so the CPU
// and GPU decoders take the same random-resized-crop parameters.
#if defined(FASTIMG_HAS_NVJPEG)
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "codec/image.h"
#include "codec/jpeg_decoder.h"

namespace fastimg::codec {

struct GpuDecodeJob {
  std::span<const uint8_t> jpeg;
  Rect crop;              // inside the image; an empty rect means the whole image
  bool flip = false;
  std::string_view what;  // names the sample in errors, e.g. "sample 1234"
};

// One per thread (nvJPEG states are not shared); owns its decode scratch on the device.
class NvjpegDecoder {
 public:
  explicit NvjpegDecoder(int device = 0);
  ~NvjpegDecoder();
  NvjpegDecoder(const NvjpegDecoder&) = delete;
  NvjpegDecoder& operator=(const NvjpegDecoder&) = delete;

  // Queues decode + crop/resize/flip of every job on `stream`, writing out_h x out_w RGB images to
  // dst (device memory, jobs.size() * out_h * out_w * 3 bytes). The Huffman stage of streams the
  // hardware engine does not take runs on this thread. Errors throw fastimg::Error naming job.what.
  void decode_crop_resize(std::span<const GpuDecodeJob> jobs, int out_w, int out_h, uint8_t* dst, cudaStream_t stream);

  JpegInfo read_header(std::span<const uint8_t> jpeg, std::string_view what = "jpeg");

  // True when the nvJPEG hardware backend was created (A100/H100/H200 class GPUs).
  bool hardware() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fastimg::codec
#endif  // FASTIMG_HAS_NVJPEG
