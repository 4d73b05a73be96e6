// fastimg train --config F.toml [--data-config D.toml] [--set key=value ...]
#include <fmt/format.h>

#include "cli/command.h"
#include "train/config.h"
#include "train/config_docs.h"
#include "train/trainer.h"

namespace fastimg::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::string data_config;
  std::vector<std::string> overrides;
  bool json = false;
  bool print_config = false;
  bool help_config = false;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  app.add_option("--config", args->config,
                 "TOML config (keys: --help-config, docs/config.md), FFCV YAML, or a Reproduce-ResNet train TOML");
  app.add_option("--data-config", args->data_config,
                 "the Reproduce-ResNet data TOML (config/data/imagenet.toml) for its train TOML in --config");
  app.add_option("--set", args->overrides, "override one key, e.g. --set optimizer.lr=0.2 (repeatable)");
  app.add_flag("--json", args->json, "print the final summary as one JSON object");
  app.add_flag("--print-config", args->print_config, "print the resolved config (TOML) and exit");
  app.add_flag("--help-config", args->help_config, "list every config key (type, default, allowed values) and exit");
  app.callback([args] {
    if (args->help_config) {
      fmt::print("{}", train::config_reference_markdown());
      return;
    }
    auto config = train::load_config(args->config, args->overrides, args->data_config);
    if (args->print_config) {
      fmt::print("{}", train::to_toml(config));
      return;
    }
    auto result = train::run_training(config);
    if (args->json) {
      fmt::print("{}\n", result.summary.dump());
    } else {
      const std::string accuracy = result.evaluated ? fmt::format("top-1 {:.2f}%  top-5 {:.2f}%  ", 100 * result.final_eval.top1,
                                                                  100 * result.final_eval.top5)
                                                    : "no validation data  ";
      fmt::print("{}({} steps, {:.1f} s, {:.0f} train images/s)  run dir: {}\n", accuracy, result.steps, result.seconds,
                 result.train_images_per_s, config.output.run_dir);
    }
  });
}

const bool registered = register_command({"train", "train a model from a config", setup});

}  // namespace
}  // namespace fastimg::cli
