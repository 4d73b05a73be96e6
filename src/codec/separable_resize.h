#pragma once
// Crop + resize + horizontal flip of an 8-bit RGB image in one pass over the crop, written straight
// into the destination (a batch slot). Each axis is filtered on its own: the area (box) filter
// where it shrinks, with INTER_AREA's weights, and bilinear where it grows, with INTER_LINEAR's
// pixel-centre map and replicated edges. Vertical first: each output row is a weighted sum of
// source rows into one float row as wide as the crop (it stays in L1), then resampled
// horizontally with the columns mirrored when flipped. This is the raw-sample path: OpenCV's
// INTER_AREA costs several times more at the non-integer ratios random crops have.
#include <cstddef>
#include <cstdint>

#include "codec/image.h"

namespace fastimg::codec {

// crop must lie inside src (checked by the caller); out_w, out_h >= 1.
void separable_resize(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst,
                      size_t dst_stride);

}  // namespace fastimg::codec
