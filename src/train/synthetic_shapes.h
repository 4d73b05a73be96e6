#pragma once
// A small, learnable image dataset drawn procedurally (no downloads): 10 classes of shapes and
// textures in random colours, sizes, positions and aspect ratios, with noise. Used by `fastimg demo`
// and by end-to-end tests.
#include <cstdint>
#include <string>

#include "codec/image.h"
#include "format/writer.h"

namespace fastimg::train {

inline constexpr int kSyntheticClasses = 10;
const char* synthetic_class_name(int label);

// Image `index` of class `label`; a pure function of (seed, label, index).
codec::Image draw_synthetic_image(int label, uint64_t index, uint64_t seed);

struct SyntheticSplit {
  int per_class = 100;
  uint64_t seed = 0;
};
// Writes a .beton with per_class images of each class (JPEG, quality 90).
format::WriteReport write_synthetic_dataset(const std::string& path, const SyntheticSplit& split, int workers,
                                            bool progress);

}  // namespace fastimg::train
