#pragma once
// GPU JPEG decoding (FASTIMG_HAS_NVJPEG builds only): whole images decoded by nvJPEG, batched on
// the hardware JPEG engine when the GPU has one and the stream is one it supports, else by
// nvJPEG's default (hybrid) backend, into interleaved RGB buffers in device memory. Crop, resize
// and flip follow as ATen ops (loader/device_crop_resize.h): no hand-written kernel.
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
  uint8_t* dst = nullptr;  // device memory, width * height * 3 bytes, rows of width * 3
  int width = 0, height = 0;  // from read_header
  std::string_view what;      // names the sample in errors, e.g. "sample 1234"
};

// One per thread (nvJPEG states are not shared).
class NvjpegDecoder {
 public:
  explicit NvjpegDecoder(int device = 0);
  ~NvjpegDecoder();
  NvjpegDecoder(const NvjpegDecoder&) = delete;
  NvjpegDecoder& operator=(const NvjpegDecoder&) = delete;

  // Queues the decode of every job on `stream`. The Huffman stage of streams the hardware engine
  // does not take runs on this thread. Errors throw fastimg::Error naming job.what.
  void decode(std::span<const GpuDecodeJob> jobs, cudaStream_t stream);

  JpegInfo read_header(std::span<const uint8_t> jpeg, std::string_view what = "jpeg");

  // True when the nvJPEG hardware backend was created (A100/H100/H200 class GPUs).
  bool hardware() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fastimg::codec
#endif  // FASTIMG_HAS_NVJPEG
