#pragma once
// A small image dataset drawn procedurally (no downloads), hard enough that accuracy says something.
// Each of the 10 classes is a conjunction: one of 5 shapes (disc, square, triangle, cross, star)
// filled with one of 5 textures (horizontal, vertical or diagonal stripes, checks, dots). Every shape
// and every texture belongs to two classes, so neither cue alone names the class (at best 50%): the
// texture has to be read inside the shape. `difficulty` (0..1) makes the reading harder: the object
// gets smaller, rotated and lower in contrast, the background carries a texture of its own, solid
// shapes of every kind stand around as distractors, a bar may occlude the object, and the sensor
// noise grows. No label is ever wrong. Used by `fastimg demo` and by end-to-end tests.
#include <cstdint>
#include <string>

#include "codec/image.h"
#include "format/writer.h"

namespace fastimg::train {

inline constexpr int kSyntheticClasses = 10;
// The default difficulty (the demo's), the one constant to tune: raising it lowers the demo's final
// top-1, lowering it raises it; the aim is 60-85% (chance 10%). `fastimg demo` reaches 69.8% at
// 0.25 (test: end_to_end_test's Demo.TheDefaultDemo...; it was 75.6% before the one-pass resize
// and the power-of-two DCT scales changed the crops' pixels slightly). A PyTorch stand-in of the demo's
// training (lr 0.2) measured 74-76% at 0.25 over three seeds and 65% at 0.35; with lr 0.4: ~100% at 0,
// 83% at 0.2, 67-71% at 0.25, 73-74% at 0.3, 54% at 0.4 and no learning at 0.6.
inline constexpr double kSyntheticDifficulty = 0.25;

const char* synthetic_class_name(int label);  // e.g. "star_dots"

// Image `index` of class `label`; a pure function of (seed, label, index, difficulty in [0, 1]).
codec::Image draw_synthetic_image(int label, uint64_t index, uint64_t seed, double difficulty = kSyntheticDifficulty);

struct SyntheticSplit {
  int per_class = 100;
  uint64_t seed = 0;
  double difficulty = kSyntheticDifficulty;  // see draw_synthetic_image
};
// Writes a .beton with per_class images of each class (JPEG, quality 90).
format::WriteReport write_synthetic_dataset(const std::string& path, const SyntheticSplit& split, int workers,
                                            bool progress);

}  // namespace fastimg::train
