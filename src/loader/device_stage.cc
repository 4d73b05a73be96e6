#include "loader/device_stage.h"

#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "augment/normalize.h"
#include "loader/device_crop_resize.h"
#include "util/error.h"

namespace fastimg::loader {

torch::Tensor to_model_input(const torch::Tensor& images, torch::Device device, bool channels_last,
                             torch::ScalarType dtype) {
  if (images.dim() != 4 || images.size(3) != 3 || images.scalar_type() != torch::kUInt8) {
    fail("device stage: expected a uint8 [N, H, W, 3] batch, got {} of {} dims", std::string(c10::toString(images.scalar_type())),
         images.dim());
  }
  if (!at::isFloatingType(dtype)) fail("device stage: output dtype {} is not a float type", std::string(c10::toString(dtype)));
  const auto& m = augment::kImageNetMean255;
  const auto& s = augment::kImageNetStd255;
  // (x - mean) / std as x * scale + shift: one addcmul over the uint8 input.
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto scale = torch::tensor({1.0f / s[0], 1.0f / s[1], 1.0f / s[2]}, f32).view({1, 3, 1, 1}).to(device, true);
  auto shift = torch::tensor({-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]}, f32).view({1, 3, 1, 1}).to(device, true);
  // NHWC bytes seen as NCHW: this is already the channels-last layout, no data moves.
  auto x = images.to(device, /*non_blocking=*/true).permute({0, 3, 1, 2});
  auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  auto out = torch::empty(x.sizes(), torch::TensorOptions().dtype(dtype).device(device), format);
  // The TensorIterator kernel casts uint8 -> float per element and writes dtype in the output
  // layout (vectorised, memory-bound: why there is no hand-written kernel for this).
  torch::addcmul_out(out, shift.to(dtype), x, scale.to(dtype));
  return out;
}

DeviceStage::DeviceStage(torch::Device device, bool channels_last, torch::ScalarType dtype,
                         std::shared_ptr<DeviceJpegDecoder> jpeg)
    : device_(device), channels_last_(channels_last), dtype_(dtype), jpeg_(std::move(jpeg)) {
  if (!device_.is_cpu()) {
    c10::impl::VirtualGuardImpl impl(device_.type());
    if (!device_.has_index()) device_ = torch::Device(device_.type(), impl.getDevice().index());
    copy_stream_ = impl.getStreamFromGlobalPool(device_, /*isHighPriority=*/false);
  }
}

std::pair<torch::Tensor, torch::Tensor> DeviceStage::upload(const Batch& batch) {
  if (!copy_stream_) {
    // The labels are a view of the loader's slot, which is refilled after the next next().
    return {batch.images, batch.labels.clone()};
  }
  c10::impl::VirtualGuardImpl impl(device_.type());
  const c10::Stream compute = impl.getStream(device_);
  torch::Tensor images, labels;
  {
    // Allocated and copied on the copy stream; the compute stream waits for the copy on the device.
    c10::StreamGuard on_copy(*copy_stream_);
    images = batch.images.to(device_, /*non_blocking=*/true);
    labels = batch.labels.to(device_, /*non_blocking=*/true);
    if (batch.fence) batch.fence->copies_queued(device_);  // recorded on the copy stream
    c10::Event copied(device_.type());
    copied.record(*copy_stream_);
    copied.block(compute);
  }
  // The allocator must not hand these blocks to the copy stream again before compute is done.
  impl.recordDataPtrOnStream(images.storage().data_ptr(), compute);
  impl.recordDataPtrOnStream(labels.storage().data_ptr(), compute);
  return {images, labels};
}

void DeviceStage::decode_deferred(const Batch& batch, torch::Tensor& images) {
  if (batch.deferred.empty()) return;
  if (!jpeg_)
    fail("device stage: {} JPEG samples of the batch were left for the device to decode, but no device decoder was "
         "set up (data.decode = gpu)",
         batch.deferred.size());
  const std::vector<torch::Tensor> decoded = jpeg_->decode(batch.deferred, images.device());
  for (size_t i = 0; i < decoded.size(); ++i) {
    const DeferredImage& d = batch.deferred[i];
    crop_resize_into(decoded[i], d.crop, d.flip, images[d.index]);
  }
}

DeviceBatch DeviceStage::stage(const Batch& batch) {
  auto [images, labels] = upload(batch);
  decode_deferred(batch, images);
  return {to_model_input(images, device_, channels_last_, dtype_), labels};
}

}  // namespace fastimg::loader
