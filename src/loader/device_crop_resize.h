#pragma once
// Crop + resize + horizontal flip of a decoded uint8 HWC image with ATen ops, on whatever device
// the image is on: the GPU decode path (after nvJPEG) and the CPU tests run this same code.
// The resize is separable: out = Wy · crop · Wxᵀ with one small weight matrix per axis, built on
// the device. As the CPU JPEG path at full resolution (codec::JpegDecoder): a shrink of 2x or more
// (both axes shrinking) averages the exact fractional source area under each output pixel
// (INTER_AREA); a smaller shrink or a grow is bilinear between pixel centres with replicated edges
// (INTER_LINEAR). Two small matmuls instead of a hand-written kernel. (The CPU path decodes large
// crops at a reduced DCT scale, an approximation of the area average that is not reproduced here.)
#include <torch/torch.h>

#include "codec/image.h"

namespace fastimg::loader {

// Writes the `crop` window of image [H, W, 3] resized to dst's [h, w, 3] (uint8, same device) and
// mirrored if `flip`. An empty crop (0 x 0) means the whole image.
void crop_resize_into(const torch::Tensor& image_hwc, codec::Rect crop, bool flip, torch::Tensor dst_hwc);

// The [out, in] resampling weights of one axis (rows sum to 1), float32 on `device`: exact area
// overlap (`area`, for out <= in) or bilinear.
torch::Tensor resample_weights(int64_t in, int64_t out, bool area, torch::Device device);

}  // namespace fastimg::loader
