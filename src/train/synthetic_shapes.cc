#include "train/synthetic_shapes.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include "util/error.h"
#include "util/rng.h"

namespace fastimg::train {
namespace {

constexpr int kShapes = 5, kTextures = 5;
enum Shape { kDisc, kSquare, kTriangle, kCross, kStar };
enum Texture { kHStripes, kVStripes, kDStripes, kChecks, kDots };

// Class -> (shape, texture): each shape with its own texture, then with the texture two further on.
constexpr std::array<int, kSyntheticClasses> kShapeOf = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4};
constexpr std::array<int, kSyntheticClasses> kTextureOf = {0, 1, 2, 3, 4, 2, 3, 4, 0, 1};
const char* const kNames[kSyntheticClasses] = {"disc_h_stripes",  "square_v_stripes", "triangle_d_stripes",
                                                "cross_checks",    "star_dots",        "disc_d_stripes",
                                                "square_checks",   "triangle_dots",    "cross_h_stripes",
                                                "star_v_stripes"};

// What `difficulty` d in [0, 1] sets; every setting moves linearly with d, so the task's hardness
// (and the demo's accuracy) moves smoothly with it.
struct Settings {
  double size_min, size_max;    // object radius as a fraction of the shorter image side
  double max_rotation;          // degrees either way (shapes)
  double texture_jitter;        // degrees either way (textures stay near their orientation)
  double contrast;              // L1 RGB distance (of 765): object vs background, texture on vs off
  double background_amplitude;  // per channel: the background texture's deviation
  double distractors;           // solid shapes of any kind: count = whole part of a uniform draw in [0, this)
  double occlusion_probability;
  double noise_sigma;
};

Settings settings_for(double d) {
  Settings s;
  s.size_min = 0.30 - 0.10 * d;
  s.size_max = 0.42 - 0.10 * d;
  s.max_rotation = 180 * d;
  s.texture_jitter = 20 * d;
  s.contrast = 200 - 110 * d;
  s.background_amplitude = 80 * d;
  s.distractors = 1 + 4 * d;  // none at 0, 0 or 1 at 0.25, up to 4 at 1
  s.occlusion_probability = 0.7 * d;
  s.noise_sigma = 8 + 20 * d;
  return s;
}

double radians(double degrees) { return degrees * std::numbers::pi / 180.0; }

cv::Scalar random_colour(Rng& rng) {
  return cv::Scalar(rng.uniform_int(0, 255), rng.uniform_int(0, 255), rng.uniform_int(0, 255));
}

// A colour at least `distance` (L1 over RGB) from `ref`.
cv::Scalar contrasting_colour(Rng& rng, const cv::Scalar& ref, double distance) {
  for (int attempt = 0; attempt < 30; ++attempt) {
    cv::Scalar c = random_colour(rng);
    if (std::abs(c[0] - ref[0]) + std::abs(c[1] - ref[1]) + std::abs(c[2] - ref[2]) >= distance) return c;
  }
  return cv::Scalar(255 - ref[0], 255 - ref[1], 255 - ref[2]);
}

// A periodic pattern in the image plane: `period` pixels, turned by `angle` about (ox, oy).
struct Pattern {
  int texture = kHStripes;
  double period = 8, cos_a = 1, sin_a = 0, ox = 0, oy = 0;

  bool on(double x, double y) const {
    const double dx = x - ox, dy = y - oy;
    const double u = dx * cos_a + dy * sin_a, v = -dx * sin_a + dy * cos_a;
    const double half = period / 2;
    auto even = [](double t) { return static_cast<int64_t>(std::floor(t)) % 2 == 0; };
    switch (texture) {
      case kHStripes:
      case kDStripes: return even(v / half);  // diagonal: the angle carries the extra 45 degrees
      case kVStripes: return even(u / half);
      case kChecks: return even(u / half) == even(v / half);
      default: {  // dots of diameter 0.6 periods on a square grid
        const double fu = u / period - std::floor(u / period) - 0.5, fv = v / period - std::floor(v / period) - 0.5;
        return fu * fu + fv * fv < 0.09;
      }
    }
  }
};

// The texture's orientation: image-aligned up to the jitter (so that horizontal and vertical stripes
// stay apart), diagonal stripes leaning either way (a horizontal flip keeps the class).
Pattern make_pattern(Rng& rng, int texture, double period, double jitter_degrees, double ox, double oy) {
  double angle = radians(rng.uniform(-jitter_degrees, jitter_degrees));
  if (texture == kDStripes) angle += radians(rng.uniform() < 0.5 ? 45.0 : -45.0);
  Pattern p;
  p.texture = texture;
  p.period = std::max(4.0, period);
  p.cos_a = std::cos(angle);
  p.sin_a = std::sin(angle);
  p.ox = ox;
  p.oy = oy;
  return p;
}

// OpenCV's drawing takes fixed-point coordinates with this many fractional bits (sub-pixel shapes).
constexpr int kShift = 4;
cv::Point fixed_point(double x, double y) {
  return {static_cast<int>(std::lround(x * (1 << kShift))), static_cast<int>(std::lround(y * (1 << kShift)))};
}

// Draws `shape` of radius r at (cx, cy), turned by `angle` radians, into the 8-bit anti-aliased mask.
void draw_shape(cv::Mat& mask, int shape, double cx, double cy, double r, double angle) {
  if (shape == kDisc) {
    cv::circle(mask, fixed_point(cx, cy), static_cast<int>(std::lround(r * (1 << kShift))), cv::Scalar(255), cv::FILLED,
               cv::LINE_AA, kShift);
    return;
  }
  std::vector<std::pair<double, double>> pts;
  const double pi = std::numbers::pi;
  switch (shape) {
    case kSquare:
      for (int k = 0; k < 4; ++k)
        pts.emplace_back(1.2 * r * std::cos(pi / 4 + k * pi / 2), 1.2 * r * std::sin(pi / 4 + k * pi / 2));
      break;
    case kTriangle:
      for (int k = 0; k < 3; ++k)
        pts.emplace_back(1.3 * r * std::cos(-pi / 2 + k * 2 * pi / 3), 1.3 * r * std::sin(-pi / 2 + k * 2 * pi / 3));
      break;
    case kCross: {
      const double a = 1.1 * r, t = 0.36 * r;
      pts = {{-t, -a}, {t, -a}, {t, -t}, {a, -t}, {a, t},   {t, t},
             {t, a},   {-t, a}, {-t, t}, {-a, t}, {-a, -t}, {-t, -t}};
      break;
    }
    default:  // five-pointed star
      for (int k = 0; k < 10; ++k) {
        const double rr = k % 2 == 0 ? 1.3 * r : 0.55 * r, th = -pi / 2 + k * pi / 5;
        pts.emplace_back(rr * std::cos(th), rr * std::sin(th));
      }
      break;
  }
  const double c = std::cos(angle), s = std::sin(angle);
  std::vector<cv::Point> poly;
  for (const auto& [x, y] : pts) poly.push_back(fixed_point(cx + x * c - y * s, cy + x * s + y * c));
  const std::vector<std::vector<cv::Point>> polys = {poly};
  cv::fillPoly(mask, polys, cv::Scalar(255), cv::LINE_AA, kShift);
}

// Paints colour(x, y) through `mask` (its anti-aliased edge blends), then clears the mask.
template <typename Colour>
void paint(cv::Mat& img, cv::Mat& mask, Colour colour) {
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    const uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      if (m[x] == 0) continue;
      const cv::Scalar c = colour(x, y);
      const double a = m[x] / 255.0;
      for (int k = 0; k < 3; ++k) row[x][k] = cv::saturate_cast<uint8_t>(a * c[k] + (1 - a) * row[x][k]);
    }
  }
  mask.setTo(cv::Scalar(0));
}

// Background texture: any of the five, independent of the class, so texture alone misleads.
void draw_background_texture(cv::Mat& img, Rng& rng, const Settings& s, const cv::Scalar& bg) {
  const int w = img.cols, h = img.rows, side = std::min(w, h);
  if (s.background_amplitude <= 0) return;
  const int texture = static_cast<int>(rng.uniform_int(0, kTextures - 1));
  const double period = rng.uniform(0.06, 0.16) * side;
  const double ox = rng.uniform(0, w), oy = rng.uniform(0, h);
  const Pattern pattern = make_pattern(rng, texture, period, s.texture_jitter, ox, oy);
  cv::Vec3b alt;
  for (int k = 0; k < 3; ++k)
    alt[k] = cv::saturate_cast<uint8_t>(bg[k] + rng.uniform(-s.background_amplitude, s.background_amplitude));
  for (int y = 0; y < h; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x)
      if (pattern.on(x, y)) row[x] = alt;
  }
}

// Occlusion: a bar of any colour across the object centred at (cx, cy) with radius r.
void draw_occluding_bar(cv::Mat& img, cv::Mat& mask, Rng& rng, double cx, double cy, double r) {
  const double width = r * rng.uniform(0.2, 0.35);
  const double a = rng.uniform(0, std::numbers::pi);
  const double offset = rng.uniform(-0.6, 0.6) * r;
  const double nx = -std::sin(a), ny = std::cos(a);  // unit normal of the bar
  const double px = cx + nx * offset, py = cy + ny * offset;
  const double dx = 2.5 * r * std::cos(a), dy = 2.5 * r * std::sin(a);
  const double hx = nx * width / 2, hy = ny * width / 2;
  const std::vector<cv::Point> bar = {fixed_point(px - dx - hx, py - dy - hy), fixed_point(px + dx - hx, py + dy - hy),
                                      fixed_point(px + dx + hx, py + dy + hy), fixed_point(px - dx + hx, py - dy + hy)};
  cv::fillConvexPoly(mask, bar, cv::Scalar(255), cv::LINE_AA, kShift);
  const cv::Scalar colour = random_colour(rng);
  paint(img, mask, [&](int, int) { return colour; });
}

}  // namespace

const char* synthetic_class_name(int label) { return kNames[label]; }

codec::Image draw_synthetic_image(int label, uint64_t index, uint64_t seed, double difficulty) {
  if (label < 0 || label >= kSyntheticClasses) fail("synthetic image: label {} outside [0, {})", label, kSyntheticClasses);
  if (!(difficulty >= 0 && difficulty <= 1)) fail("synthetic image: difficulty {} outside [0, 1]", difficulty);
  const Settings s = settings_for(difficulty);
  Rng rng(derive_seed(seed, static_cast<uint64_t>(label), index));
  const int w = static_cast<int>(rng.uniform_int(96, 192));
  const int h = static_cast<int>(rng.uniform_int(96, 192));
  const int side = std::min(w, h);
  const cv::Scalar bg = random_colour(rng);
  cv::Mat img(h, w, CV_8UC3, bg);
  cv::Mat mask(h, w, CV_8UC1, cv::Scalar(0));

  draw_background_texture(img, rng, s, bg);

  const double r = side * rng.uniform(s.size_min, s.size_max);
  // Distractors: solid (untextured) shapes of any kind, smaller than the object, so shape alone misleads.
  const int distractors = static_cast<int>(rng.uniform(0, s.distractors));
  for (int i = 0; i < distractors; ++i) {
    const double rd = r * rng.uniform(0.35, 0.7);
    const int shape = static_cast<int>(rng.uniform_int(0, kShapes - 1));
    const double cx = rng.uniform(0, w), cy = rng.uniform(0, h);
    const double angle = radians(rng.uniform(-180, 180));
    draw_shape(mask, shape, cx, cy, rd, angle);
    const cv::Scalar colour = contrasting_colour(rng, bg, s.contrast);
    paint(img, mask, [&](int, int) { return colour; });
  }

  // The object: the class's shape filled with the class's texture.
  const int shape = kShapeOf[label], texture = kTextureOf[label];
  const double margin = 0.8 * r;
  const double cx = rng.uniform(margin, w - margin), cy = rng.uniform(margin, h - margin);
  const double angle = radians(rng.uniform(-s.max_rotation, s.max_rotation));
  const Pattern pattern = make_pattern(rng, texture, r * rng.uniform(0.35, 0.55), s.texture_jitter, cx, cy);
  const cv::Scalar off_colour = contrasting_colour(rng, bg, s.contrast);
  const cv::Scalar on_colour = contrasting_colour(rng, off_colour, s.contrast);
  draw_shape(mask, shape, cx, cy, r, angle);
  paint(img, mask, [&](int x, int y) { return pattern.on(x, y) ? on_colour : off_colour; });

  if (rng.uniform() < s.occlusion_probability) draw_occluding_bar(img, mask, rng, cx, cy, r);

  // Sensor-like noise so that the task is not pixel-exact.
  cv::Mat noise(h, w, CV_16SC3);
  cv::RNG cv_rng(rng());
  cv_rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(s.noise_sigma));
  cv::Mat noisy;
  img.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(img, CV_8UC3);

  codec::Image out;
  out.resize(w, h);
  for (int y = 0; y < h; ++y) std::copy_n(img.ptr<uint8_t>(y), static_cast<size_t>(w) * 3, out.pixels.data() + y * w * 3);
  return out;
}

format::WriteReport write_synthetic_dataset(const std::string& path, const SyntheticSplit& split, int workers,
                                            bool progress) {
  if (!(split.difficulty >= 0 && split.difficulty <= 1))
    fail("{}: synthetic difficulty {} outside [0, 1]", path, split.difficulty);
  format::LabeledImageSource source;
  source.size = static_cast<size_t>(split.per_class) * kSyntheticClasses;
  source.name = [](size_t i) { return "synthetic:" + std::to_string(i); };
  source.label = [](size_t i) { return static_cast<int64_t>(i % kSyntheticClasses); };
  source.load = [split](size_t i) {
    return draw_synthetic_image(static_cast<int>(i % kSyntheticClasses), i / kSyntheticClasses, split.seed,
                                split.difficulty);
  };
  format::WriterOptions options;
  options.workers = workers;
  options.seed = split.seed;
  options.jpeg_fraction = 1.0;
  options.jpeg_quality = 90;
  options.progress = progress;
  return format::write_images(source, path, options);
}

}  // namespace fastimg::train
