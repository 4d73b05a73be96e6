#include "train/plot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

void make_run(const std::filesystem::path& dir, int seed, const std::vector<double>& top1) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.toml") << "[model]\narch = \"resnet18\"\n\n[train]\nseed = " << seed
                                     << "\n\n[output]\nrun_dir = \"" << dir.string() << "\"\n";
  std::ofstream metrics(dir / "metrics.jsonl");
  metrics << "{\"type\":\"train\",\"loss\":2.0,\"global_step\":5}\n";
  for (size_t i = 0; i < top1.size(); ++i)
    metrics << "{\"type\":\"eval\",\"epoch\":" << i << ",\"global_step\":" << 10 * (i + 1) << ",\"time\":" << 360 * (i + 1)
            << ",\"top1\":" << top1[i] << ",\"top5\":0.9}\n";
}

TEST(Plot, RunsThatDifferOnlyBySeedAreAveragedWithSampleStd) {
  testing::TempDir dir;
  make_run(dir / "a-seed0", 0, {0.10, 0.50});
  make_run(dir / "a-seed1", 1, {0.20, 0.70});
  PlotOptions o;
  o.run_dirs = {(dir / "a-seed0").string(), (dir / "a-seed1").string()};
  auto series = collect_series(o);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].runs, 2);
  EXPECT_EQ(series[0].x, (std::vector<double>{10, 20}));
  EXPECT_NEAR(series[0].mean[0], 15.0, 1e-9);  // percent
  EXPECT_NEAR(series[0].mean[1], 60.0, 1e-9);
  // numpy.std([10, 20], ddof=1) = 7.0710678
  EXPECT_NEAR(series[0].std[0], 7.0710678118654755, 1e-9);
  o.x = "time";
  EXPECT_NEAR(collect_series(o)[0].x[1], 0.2, 1e-12);  // hours
}

TEST(Plot, DifferentConfigsAreSeparateSeriesAndTheSvgHasABand) {
  testing::TempDir dir;
  make_run(dir / "a0", 0, {0.1, 0.2, 0.3});
  make_run(dir / "a1", 1, {0.15, 0.25, 0.35});
  std::filesystem::create_directories(dir / "b");
  make_run(dir / "b", 0, {0.3, 0.4, 0.5});
  std::ofstream(dir / "b" / "config.toml") << "[model]\narch = \"resnet50\"\n";
  PlotOptions o;
  o.run_dirs = {(dir / "a0").string(), (dir / "a1").string(), (dir / "b").string()};
  o.out = (dir / "plot.svg").string();
  auto series = write_plot(o);
  ASSERT_EQ(series.size(), 2u);
  std::ifstream in(o.out);
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("<polygon"), std::string::npos);  // the ±2σ band of the two-run group
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
}

// A ±2σ band below zero: the accuracy axis stops at 0, and its first tick reads "0", not "-0".
TEST(Plot, AxisTicksNeverReadMinusZero) {
  testing::TempDir dir;
  make_run(dir / "s0", 0, {0.0, 0.5});
  make_run(dir / "s1", 1, {0.2, 0.6});
  PlotOptions o;
  o.run_dirs = {(dir / "s0").string(), (dir / "s1").string()};
  o.out = (dir / "plot.svg").string();
  write_plot(o);
  std::ifstream in(o.out);
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(svg.find(">-"), std::string::npos) << "a negative accuracy tick";
  EXPECT_NE(svg.find(">0<"), std::string::npos);
  EXPECT_EQ(svg.find(">-0<"), std::string::npos);
}

TEST(Plot, MissingMetricsIsAClearError) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "empty");
  std::ofstream(dir / "empty" / "config.toml") << "";
  PlotOptions o;
  o.run_dirs = {(dir / "empty").string()};
  EXPECT_THROW(collect_series(o), Error);
}

}  // namespace
}  // namespace fastimg::train
