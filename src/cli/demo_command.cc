// fastimg demo: the embedded default job (no input needed).
#include <fmt/format.h>

#include "cli/command.h"
#include "train/demo.h"

namespace fastimg::cli {
namespace {

void setup(CLI::App& app) {
  auto options = std::make_shared<train::DemoOptions>();
  app.add_option("--dir", options->dir, "where the data and the run go")->capture_default_str();
  app.add_option("--epochs", options->epochs, "training epochs")->capture_default_str();
  app.add_option("--train-per-class", options->train_per_class, "training images per class")->capture_default_str();
  app.add_option("--seed", options->seed, "seed")->capture_default_str();
  app.add_option("--val-per-class", options->val_per_class, "validation images per class")->capture_default_str();
  app.add_option("--difficulty", options->difficulty,
                 "how hard the generated images are, 0 (the demo saturates) to 1 (clutter, noise, occlusion)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--data-only", options->data_only, "write DIR/train.beton and DIR/val.beton, do not train");
  app.callback([options] {
    const auto result = train::run_demo(*options);
    if (options->data_only) {
      fmt::print("demo: wrote {0}/train.beton and {0}/val.beton (10 classes)\n", options->dir);
      return;
    }
    const auto& r = result.train;
    fmt::print("demo: 10 classes (chance 10.0%), validation top-1 {:.1f}%, top-5 {:.1f}%, "
               "{} steps in {:.0f} s ({:.0f} train images/s); run dir {}/run\n",
               100 * r.final_eval.top1, 100 * r.final_eval.top5, r.steps, r.seconds, r.train_images_per_s, options->dir);
    fmt::print("demo: accuracy-vs-time plot (validation top-1 vs wall time, final {:.1f}%) written to {}\n",
               100 * r.final_eval.top1, result.plot);
  });
}

const bool registered = register_command({"demo", "draw a small dataset, train on it, report accuracy", setup});

}  // namespace
}  // namespace fastimg::cli
