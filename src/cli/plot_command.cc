// fastimg plot RUN_DIR... --x step|time|epoch --y top1|top5|loss --out plot.svg
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "cli/command.h"
#include "train/plot.h"

namespace fastimg::cli {
namespace {

void setup(CLI::App& app) {
  auto o = std::make_shared<train::PlotOptions>();
  auto png = std::make_shared<bool>(false);
  app.add_option("runs", o->run_dirs, "run directories (runs sharing a config are averaged, ±2σ band)")->required();
  app.add_option("--x", o->x, "step | time | epoch")->capture_default_str();
  app.add_option("--y", o->y, "top1 | top5 | loss")->capture_default_str();
  app.add_option("--out", o->out, "output SVG file")->capture_default_str();
  app.add_option("--title", o->title, "chart title");
  app.add_flag("--png", *png, "also write a PNG next to the SVG (needs rsvg-convert)");
  app.callback([o, png] {
    auto series = train::write_plot(*o);
    fmt::print("{}: {} series\n", o->out, series.size());
    if (*png) {
      std::string png_path = std::filesystem::path(o->out).replace_extension(".png").string();
      std::string cmd = fmt::format("rsvg-convert -o '{}' '{}' 2>/dev/null", png_path, o->out);
      if (std::system(cmd.c_str()) == 0) fmt::print("{}\n", png_path);
      else fmt::print(stderr, "fastimg: PNG skipped: rsvg-convert (Debian librsvg2-bin) is not installed\n");
    }
  });
}

const bool registered = register_command({"plot", "plot evaluation curves of runs as SVG", setup});

}  // namespace
}  // namespace fastimg::cli
