#include "train/synthetic_shapes.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "util/rng.h"

namespace fastimg::train {
namespace {

const char* const kNames[kSyntheticClasses] = {"disc",     "square",         "triangle",        "ring",
                                                "cross",    "h_stripes",      "v_stripes",       "checkerboard",
                                                "d_stripes", "dots"};

cv::Scalar random_colour(Rng& rng) {
  return cv::Scalar(rng.uniform_int(0, 255), rng.uniform_int(0, 255), rng.uniform_int(0, 255));
}

// A foreground colour far enough from the background to be visible.
cv::Scalar contrasting_colour(Rng& rng, const cv::Scalar& bg) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    cv::Scalar c = random_colour(rng);
    double d = std::abs(c[0] - bg[0]) + std::abs(c[1] - bg[1]) + std::abs(c[2] - bg[2]);
    if (d > 200) return c;
  }
  return cv::Scalar(255 - bg[0], 255 - bg[1], 255 - bg[2]);
}

// Periodic textures fill a region (rest of the image keeps the background).
void draw_texture(cv::Mat& img, int label, Rng& rng, const cv::Scalar& fg) {
  const int period = static_cast<int>(rng.uniform_int(8, 20));
  const int w = img.cols, h = img.rows;
  for (int y = 0; y < h; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      bool on = false;
      switch (label) {
        case 5: on = (y / (period / 2)) % 2 == 0; break;
        case 6: on = (x / (period / 2)) % 2 == 0; break;
        case 7: on = ((x / period) + (y / period)) % 2 == 0; break;
        case 8: on = ((x + y) / (period / 2)) % 2 == 0; break;
        default: break;
      }
      if (on) row[x] = cv::Vec3b(static_cast<uint8_t>(fg[0]), static_cast<uint8_t>(fg[1]), static_cast<uint8_t>(fg[2]));
    }
  }
}

}  // namespace

const char* synthetic_class_name(int label) { return kNames[label]; }

codec::Image draw_synthetic_image(int label, uint64_t index, uint64_t seed) {
  Rng rng(derive_seed(seed, static_cast<uint64_t>(label), index));
  const int w = static_cast<int>(rng.uniform_int(96, 192));
  const int h = static_cast<int>(rng.uniform_int(96, 192));
  const cv::Scalar bg = random_colour(rng);
  const cv::Scalar fg = contrasting_colour(rng, bg);
  cv::Mat img(h, w, CV_8UC3, bg);
  const int side = std::min(w, h);
  const int r = static_cast<int>(side * rng.uniform(0.25, 0.42));
  const cv::Point c(static_cast<int>(rng.uniform_int(r, w - r)), static_cast<int>(rng.uniform_int(r, h - r)));
  switch (label) {
    case 0: cv::circle(img, c, r, fg, cv::FILLED, cv::LINE_AA); break;
    case 1: cv::rectangle(img, cv::Rect(c.x - r, c.y - r, 2 * r, 2 * r), fg, cv::FILLED); break;
    case 2: {
      std::vector<cv::Point> tri = {{c.x, c.y - r}, {c.x - r, c.y + r}, {c.x + r, c.y + r}};
      cv::fillConvexPoly(img, tri, fg, cv::LINE_AA);
      break;
    }
    case 3: cv::circle(img, c, r, fg, std::max(3, r / 3), cv::LINE_AA); break;
    case 4: {
      int t = std::max(3, r / 3);
      cv::rectangle(img, cv::Rect(c.x - r, c.y - t / 2, 2 * r, t), fg, cv::FILLED);
      cv::rectangle(img, cv::Rect(c.x - t / 2, c.y - r, t, 2 * r), fg, cv::FILLED);
      break;
    }
    case 9: {
      const int period = static_cast<int>(rng.uniform_int(14, 24));
      for (int y = period / 2; y < h; y += period)
        for (int x = period / 2; x < w; x += period) cv::circle(img, {x, y}, period / 4, fg, cv::FILLED, cv::LINE_AA);
      break;
    }
    default: draw_texture(img, label, rng, fg); break;
  }
  // Sensor-like noise so that the task is not pixel-exact.
  cv::Mat noise(h, w, CV_16SC3);
  cv::RNG cv_rng(rng());
  cv_rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(12));
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
  format::LabeledImageSource source;
  source.size = static_cast<size_t>(split.per_class) * kSyntheticClasses;
  source.name = [](size_t i) { return "synthetic:" + std::to_string(i); };
  source.label = [](size_t i) { return static_cast<int64_t>(i % kSyntheticClasses); };
  source.load = [split](size_t i) {
    return draw_synthetic_image(static_cast<int>(i % kSyntheticClasses), i / kSyntheticClasses, split.seed);
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
