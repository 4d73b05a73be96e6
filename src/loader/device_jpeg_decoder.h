#pragma once
// Whole-image JPEG decoding for the device stage (data.decode = gpu): nvJPEG on a CUDA device
// (batched, on the GPU's hardware JPEG engine where it has one). A libjpeg-turbo implementation
// stands in for it in the CPU tests, so the rest of the GPU decode path (crop, resize, flip,
// normalise: device_crop_resize.h, device_stage.h) runs there unchanged.
#include <torch/torch.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loader/loader.h"

namespace fastimg::loader {

class DeviceJpegDecoder {
 public:
  virtual ~DeviceJpegDecoder() = default;
  // One uint8 [H, W, 3] tensor on `device` per image, queued on its current stream. Errors are
  // fastimg::Error naming the sample.
  virtual std::vector<torch::Tensor> decode(std::span<const DeferredImage> images, torch::Device device) = 0;
  virtual std::string name() const = 0;
};

// libjpeg-turbo on this thread, then a copy to the device.
std::unique_ptr<DeviceJpegDecoder> make_host_jpeg_decoder();

// Whether this binary was built with nvJPEG.
bool nvjpeg_built();
// nvJPEG on `device`; a one-line error when the binary has no nvJPEG or the device is not CUDA.
std::unique_ptr<DeviceJpegDecoder> make_nvjpeg_decoder(torch::Device device);

}  // namespace fastimg::loader
