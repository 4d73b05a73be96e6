#pragma once
// What the decoder does to one sample: which region of the source becomes the output, whether it
// is mirrored, and at what size. Transforms (transform.h) fill it in; the loader executes it.
#include "codec/image.h"

namespace fastimg::augment {

struct SamplePlan {
  int source_width = 0, source_height = 0;  // the stored image
  codec::Rect crop;                          // source region that becomes the output (default: all)
  bool flip = false;                         // mirror left-right
  // The crop may move by a few source pixels onto the pixel grid of a DCT-scaled JPEG decode,
  // which lets the decoder resize whole pixels (faster). Right for random crops, not for
  // evaluation crops, which must be exactly where the reference puts them.
  bool crop_may_snap = false;
  // Fixed by the loader (its batch buffers are output_width x output_height); transforms read it.
  int output_width = 0, output_height = 0;
};

}  // namespace fastimg::augment
