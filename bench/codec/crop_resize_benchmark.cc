// The raw-sample path: random-resized crop + resize + flip of a 512 x 384 RGB image (the largest
// side fastimg write keeps by default) to 160 and 224 px. Baseline: cv::resize INTER_AREA on the
// crop then cv::flip, what FFCV's loader runs per raw sample. Ours: codec::crop_resize.
// Prints: resolution, baseline, ours, ratio (baseline time / our time; > 1 means we are faster),
// from the medians of 5 repetitions each.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "augment/random_resized_crop.h"
#include "codec/crop_resize.h"
#include "util/rng.h"

namespace {

using fastimg::codec::Image;
using fastimg::codec::Rect;

constexpr int kWidth = 512, kHeight = 384, kCrops = 64;

const Image& source_image() {
  static const Image image = [] {
    Image img;
    img.resize(kWidth, kHeight);
    fastimg::Rng rng(1);
    for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(rng.uniform_int(0, 255));
    return img;
  }();
  return image;
}

// The same crops for both sides: torchvision's RandomResizedCrop defaults (scale 0.08-1).
std::vector<Rect> crops() {
  fastimg::Rng rng(2);
  std::vector<Rect> out;
  for (int i = 0; i < kCrops; ++i)
    out.push_back(fastimg::augment::random_resized_crop(kWidth, kHeight, rng, fastimg::augment::RandomResizedCropParams{}));
  return out;
}

void BM_OpenCvArea(benchmark::State& state) {
  const int r = static_cast<int>(state.range(0));
  const Image& img = source_image();
  const cv::Mat src(kHeight, kWidth, CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
  const std::vector<Rect> cs = crops();
  std::vector<uint8_t> dst(size_t(r) * r * 3);
  cv::setNumThreads(1);
  size_t k = 0;
  for (auto _ : state) {
    const Rect c = cs[k++ % cs.size()];
    cv::Mat out(r, r, CV_8UC3, dst.data());
    const bool shrink = c.width >= r && c.height >= r;
    cv::resize(src(cv::Rect(c.x, c.y, c.width, c.height)), out, out.size(), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (k % 2) cv::flip(out, out, 1);
    benchmark::DoNotOptimize(dst.data());
  }
}

void BM_CropResize(benchmark::State& state) {
  const int r = static_cast<int>(state.range(0));
  const Image& img = source_image();
  const std::vector<Rect> cs = crops();
  std::vector<uint8_t> dst(size_t(r) * r * 3);
  size_t k = 0;
  for (auto _ : state) {
    const Rect c = cs[k++ % cs.size()];
    fastimg::codec::crop_resize(img.view(), c, r, r, k % 2 == 1, dst.data(), size_t(r) * 3);
    benchmark::DoNotOptimize(dst.data());
  }
}

BENCHMARK(BM_OpenCvArea)->Arg(160)->Arg(224)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CropResize)->Arg(160)->Arg(224)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

class MedianReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
        times[run.run_name.function_name + "/" + run.run_name.args] = run.GetAdjustedRealTime();
    }
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-44s %12s %12s %8s\n", "raw crop + resize + flip, 512x384 source", "baseline", "ours", "ratio");
  for (const char* r : {"160", "224"}) {
    const double base = reporter.times[std::string("BM_OpenCvArea/") + r];
    const double ours = reporter.times[std::string("BM_CropResize/") + r];
    if (base > 0 && ours > 0)
      std::printf("%-44s %9.1f us %9.1f us %7.2fx\n", (std::string(r) + " px (cv::resize INTER_AREA + cv::flip)").c_str(),
                  base, ours, base / ours);
  }
  benchmark::Shutdown();
  return 0;
}
