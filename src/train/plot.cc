#include "train/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot read", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The config without the lines that differ between repeats of one experiment.
std::string group_key(const std::string& config_toml) {
  std::istringstream in(config_toml);
  std::string line, key, section;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') section = line;
    if (section == "[train]" && line.rfind("seed =", 0) == 0) continue;
    if (section == "[output]" && line.rfind("run_dir =", 0) == 0) continue;
    key += line + "\n";
  }
  return key;
}

struct Run {
  std::string name;
  std::vector<double> x, y;
};

Run read_run(const fs::path& dir, const PlotOptions& options) {
  Run run;
  run.name = dir.filename().string();
  if (run.name.empty()) run.name = dir.parent_path().filename().string();
  std::istringstream lines(read_text(dir / "metrics.jsonl"));
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail("{}:{}: not a JSON line", (dir / "metrics.jsonl").string(), line_no);
    }
    if (j.value("type", "") != "eval") continue;
    const char* x_key = options.x == "step" ? "global_step" : options.x == "time" ? "time" : "epoch";
    if (!j.contains(x_key) || !j.contains(options.y)) continue;
    double x = j[x_key].get<double>();
    if (options.x == "time") x /= 3600.0;  // hours
    if (options.x == "epoch") x += 1;
    double y = j[options.y].get<double>();
    if (options.y != "loss") y *= 100;  // percent
    run.x.push_back(x);
    run.y.push_back(y);
  }
  if (run.x.empty()) fail("{}: no evaluation records in metrics.jsonl", dir.string());
  return run;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// "Nice" tick step for a range: 1, 2 or 5 times a power of ten.
double tick_step(double range, int target_ticks) {
  double raw = range / std::max(1, target_ticks);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

}  // namespace

std::vector<PlotSeries> collect_series(const PlotOptions& options) {
  if (options.run_dirs.empty()) fail("plot: no run directories given");
  if (options.x != "step" && options.x != "time" && options.x != "epoch") fail("plot: --x must be step, time or epoch");
  if (options.y != "top1" && options.y != "top5" && options.y != "loss") fail("plot: --y must be top1, top5 or loss");
  std::map<std::string, std::vector<Run>> groups;
  std::vector<std::string> order;
  for (const auto& dir : options.run_dirs) {
    fs::path path(dir);
    if (!fs::is_directory(path)) fail("{}: not a run directory", dir);
    std::string key = group_key(read_text(path / "config.toml"));
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(read_run(path, options));
  }
  std::vector<PlotSeries> series;
  for (const auto& key : order) {
    const auto& runs = groups[key];
    PlotSeries s;
    s.runs = static_cast<int>(runs.size());
    s.label = runs.size() == 1 ? runs[0].name : fmt::format("{} (mean of {}, ±2σ)", runs[0].name, runs.size());
    size_t n = runs[0].x.size();
    for (const auto& r : runs) n = std::min(n, r.x.size());  // align on evaluation index
    for (size_t i = 0; i < n; ++i) {
      double sx = 0, sy = 0, sq = 0;
      for (const auto& r : runs) {
        sx += r.x[i];
        sy += r.y[i];
      }
      double mx = sx / runs.size(), my = sy / runs.size();
      for (const auto& r : runs) sq += (r.y[i] - my) * (r.y[i] - my);
      // Sample standard deviation (n-1), as numpy.std(ddof=1).
      double sd = runs.size() > 1 ? std::sqrt(sq / (runs.size() - 1)) : 0.0;
      s.x.push_back(mx);
      s.mean.push_back(my);
      s.std.push_back(sd);
    }
    series.push_back(std::move(s));
  }
  return series;
}

std::string render_svg(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  const double W = 720, H = 440, left = 70, right = 20, top = 40, bottom = 60;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.mean[i] - 2 * s.std[i]);
      y1 = std::max(y1, s.mean[i] + 2 * s.std[i]);
    }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  // Accuracy lives in [0, 100]: a ±2σ band is cut there rather than stretching the axis.
  if (options.y != "loss") {
    y0 = std::max(y0, 0.0);
    y1 = std::min(y1, 100.0);
  }
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom); };
  static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H, W, H);
  const std::string x_label = options.x == "step" ? "step" : options.x == "time" ? "wall time (hours)" : "epoch";
  const std::string y_label = options.y == "loss" ? "validation loss" : (options.y == "top1" ? "top-1 (%)" : "top-5 (%)");
  svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n", W / 2,
                     escape(options.title.empty() ? y_label + " vs " + x_label : options.title));
  // Grid and ticks.
  double ys = tick_step(y1 - y0, 6), xs = tick_step(x1 - x0, 8);
  // Ticks are k * step for integer k (no drift from repeated addition), and never "-0".
  auto tick = [](double k, double step) { return k * step == 0 ? 0.0 : k * step; };
  for (double k = std::ceil(y0 / ys), y = tick(k, ys); y <= y1 + 1e-9 * ys; y = tick(++k, ys))
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
                       left, py(y), W - right, py(y), left - 6, py(y) + 4, y);
  for (double k = std::ceil(x0 / xs), x = tick(k, xs); x <= x1 + 1e-9 * xs; x = tick(++k, xs))
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:g}</text>\n",
                       px(x), top, px(x), H - bottom, px(x), H - bottom + 18, x);
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", left, top,
                     W - left - right, H - top - bottom);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + W - right) / 2, H - 15,
                     escape(x_label));
  svg += fmt::format("<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     (top + H - bottom) / 2, escape(y_label));
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* colour = colours[k % 8];
    if (s.runs > 1) {  // ±2σ band: upper edge forward, lower edge back
      std::string pts;
      for (size_t i = 0; i < s.x.size(); ++i) pts += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(std::min(y1, s.mean[i] + 2 * s.std[i])));
      for (size_t i = s.x.size(); i-- > 0;) pts += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(std::max(y0, s.mean[i] - 2 * s.std[i])));
      svg += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.2\" stroke=\"none\"/>\n", pts, colour);
    }
    std::string pts;
    for (size_t i = 0; i < s.x.size(); ++i) pts += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.mean[i]));
    svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", pts, colour);
    for (size_t i = 0; i < s.x.size(); ++i)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n", px(s.x[i]), py(s.mean[i]), colour);
    double ly = top + 16 + 16 * k;
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>"
                       "<text x=\"{}\" y=\"{}\">{}</text>\n",
                       left + 10, ly, left + 30, ly, colour, left + 36, ly + 4, escape(s.label));
  }
  svg += "</svg>\n";
  return svg;
}

std::vector<PlotSeries> write_plot(const PlotOptions& options) {
  auto series = collect_series(options);
  write_file_atomically(options.out, render_svg(series, options));
  return series;
}

}  // namespace fastimg::train
