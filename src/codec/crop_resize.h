#pragma once
// Crop + resize (+ horizontal flip) of an RGB image already in memory, e.g. a raw sample straight
// from the mapped file, written directly into the destination (a batch slot): per axis, the area
// filter (INTER_AREA's weights) where it shrinks and bilinear (INTER_LINEAR's) where it grows, in
// one pass (separable_resize.h); a same-size crop is a copy.
#include <cstddef>
#include <cstdint>

#include "codec/image.h"

namespace fastimg::codec {

void crop_resize(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst, size_t dst_stride);

// Bilinear resample of the fractional window [x, x + w) x [y, y + h) of src (pixel edges, not
// centres) to out_w x out_h, then mirrored horizontally if flip; edges replicate. Meant for shrinks
// below 2x (after DCT scaling), where bilinear needs no low-pass.
void resample_window(const ImageView& src, double x, double y, double w, double h, int out_w, int out_h, bool flip,
                     uint8_t* dst, size_t dst_stride);

// Bilinear resize of a whole-pixel crop (cv::resize INTER_LINEAR, several times faster than
// INTER_AREA at non-integer ratios); the same map as resample_window for an integral window.
void resize_linear(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst, size_t dst_stride);

// Resize worker threads call from many threads at once: OpenCV's own thread pool would only
// oversubscribe the cores, so the loader turns it off (process-wide).
void disable_opencv_threads();

}  // namespace fastimg::codec
