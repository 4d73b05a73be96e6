// fastimg models: the classifiers fastimg can train, with parameter count and forward cost.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "models/registry.h"

namespace fastimg::cli {
namespace {

struct ModelsArgs {
  int resolution = 224;
  bool json = false;
};

std::string with_commas(int64_t n) {
  const auto digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void run_models(const ModelsArgs& args) {
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) fmt::print("{:<12} {:>14} {:>10}\n", "model", "parameters", fmt::format("GFLOPs@{}", args.resolution));
  for (const auto& name : models::model_names()) {
    // Counting builds the module (VGG/ViT: about a second each, mostly initialisation).
    auto model = models::make_model(name, {});
    const auto params = models::count_parameters(*model);
    const double gflops = models::forward_gflops(name, args.resolution);
    if (args.json)
      rows.push_back({{"name", name}, {"parameters", params}, {"gflops", gflops}});
    else
      fmt::print("{:<12} {:>14} {:>10.2f}\n", name, with_commas(params), gflops);
  }
  if (args.json)
    fmt::print("{}\n", nlohmann::json{{"resolution", args.resolution},
                                      {"flops", "conv+linear multiply-accumulates (+ attention matmuls)"},
                                      {"models", rows}}
                           .dump());
}

[[maybe_unused]] const bool registered = register_command(
    {"models", "List the models with parameter count and forward GFLOPs per image", [](CLI::App& app) {
       auto args = std::make_shared<ModelsArgs>();
       app.add_option("--resolution", args->resolution, "Square input side in pixels")
           ->check(CLI::Range(16, 4096));
       app.add_flag("--json", args->json, "Print one JSON object");
       app.callback([args] { run_models(*args); });
     }});

}  // namespace
}  // namespace fastimg::cli
