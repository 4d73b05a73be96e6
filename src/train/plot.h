#pragma once
// `fastimg plot`: evaluation curves from run directories as an SVG line chart. Runs whose resolved
// configs are equal except for the seed and run directory form one group: the chart draws the
// group's mean and a band of ±2 standard deviations (the reproduction project's figures).
#include <string>
#include <vector>

namespace fastimg::train {

struct PlotOptions {
  std::vector<std::string> run_dirs;
  std::string x = "step";   // step | time | epoch
  std::string y = "top1";   // top1 | top5 | loss
  std::string out = "plot.svg";
  std::string title;
};

struct PlotSeries {
  std::string label;
  int runs = 0;
  std::vector<double> x, mean, std;
};

// Reads and groups the runs (exposed for tests).
std::vector<PlotSeries> collect_series(const PlotOptions& options);
std::string render_svg(const std::vector<PlotSeries>& series, const PlotOptions& options);
// Writes options.out (atomically); returns the series drawn.
std::vector<PlotSeries> write_plot(const PlotOptions& options);

}  // namespace fastimg::train
