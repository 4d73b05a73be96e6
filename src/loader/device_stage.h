#pragma once
// Device stage: a loader batch (uint8 NHWC in host memory) to model input on the training device.
// The same code runs on every device; only the stream ordering is skipped on the CPU:
//   1. the uint8 bytes (4x less than float) and labels go up non-blocking from pinned memory on a
//      side stream; the compute stream waits on an event recorded after the copy (a GPU-side wait,
//      the host never synchronises); the batch's copy fence keeps the slot from being refilled
//      until the copy is done;
//   2. JPEG rows the loader left undecoded (data.decode = gpu) are decoded on the device, then
//      cropped, resized and flipped with ATen ops (device_crop_resize.h);
//   3. normalisation with ImageNet mean/std as one fused elementwise op, written straight into
//      NCHW or channels-last memory in the requested dtype.
#include <torch/torch.h>

#include <memory>
#include <optional>

#include "loader/device_jpeg_decoder.h"
#include "loader/loader.h"

namespace fastimg::loader {

// Step 3 alone, for a uint8 [N, H, W, 3] batch on any device (copied to `device` if needed).
torch::Tensor to_model_input(const torch::Tensor& images_u8_nhwc, torch::Device device, bool channels_last,
                             torch::ScalarType dtype);

struct DeviceBatch {
  torch::Tensor input;   // [N, 3, H, W], normalised, on the device
  torch::Tensor target;  // int64 [N], on the device, owned (not a view of the loader's memory)
};

class DeviceStage {
 public:
  // `jpeg` decodes the deferred rows of data.decode = gpu batches; may be null otherwise.
  DeviceStage(torch::Device device, bool channels_last, torch::ScalarType dtype = torch::kFloat,
              std::shared_ptr<DeviceJpegDecoder> jpeg = nullptr);

  // Queues steps 1-3 and returns at once (on a GPU); `batch.fence` learns about the copies.
  DeviceBatch stage(const Batch& batch);

  torch::Device device() const { return device_; }

 private:
  // The uint8 batch and labels on the device, ordered before the compute stream's later work.
  std::pair<torch::Tensor, torch::Tensor> upload(const Batch& batch);
  void decode_deferred(const Batch& batch, torch::Tensor& images);

  torch::Device device_;
  bool channels_last_;
  torch::ScalarType dtype_;
  std::shared_ptr<DeviceJpegDecoder> jpeg_;
  std::optional<c10::Stream> copy_stream_;  // non-CPU devices
};

}  // namespace fastimg::loader
