// fastimg eval --checkpoint runs/x/last.pt --data val.beton [--tta flip] [--json]
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "train/eval_checkpoint.h"
#include "util/error.h"

namespace fastimg::cli {
namespace {

void setup(CLI::App& app) {
  auto o = std::make_shared<train::EvalCheckpointOptions>();
  auto tta = std::make_shared<std::string>("none");
  auto json = std::make_shared<bool>(false);
  app.add_option("--checkpoint", o->checkpoint, "checkpoint written by fastimg train")->required();
  app.add_option("--data", o->data, "validation .beton file")->required();
  app.add_option("--tta", *tta, "test-time augmentation: none | flip")->capture_default_str();
  app.add_option("--res", o->resolution, "resolution (default: the run's validation resolution)");
  app.add_option("--batch-size", o->batch_size, "batch size")->capture_default_str();
  app.add_option("--threads", o->threads, "loader threads (0 = all cores)")->capture_default_str();
  app.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  app.add_flag("--json", *json, "print one JSON object");
  app.callback([o, tta, json] {
    if (*tta != "none" && *tta != "flip") fail("--tta must be none or flip, not '{}'", *tta);
    o->tta_flip = *tta == "flip";
    auto r = train::evaluate_checkpoint(*o);
    if (*json) {
      nlohmann::json j = {{"top1", r.top1}, {"top5", r.top5}, {"loss", r.loss}, {"samples", r.samples},
                          {"seconds", r.seconds}, {"tta", *tta}, {"checkpoint", o->checkpoint}, {"data", o->data}};
      fmt::print("{}\n", j.dump());
    } else {
      fmt::print("top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}  ({} images, {:.1f} s)\n", 100 * r.top1, 100 * r.top5,
                 r.loss, r.samples, r.seconds);
    }
  });
}

const bool registered = register_command({"eval", "evaluate a checkpoint on a dataset file", setup});

}  // namespace
}  // namespace fastimg::cli
