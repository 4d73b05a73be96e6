#include "train/ffcv_yaml_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>

#include "util/error.h"

namespace fastimg::train {
namespace {

enum class Kind {
  kValue,    // copied as is
  kBool,     // FFCV writes flags as 0/1
  kIgnored,  // accepted, no effect in fastimg (documented)
  kMustBeZero,
};

struct Mapping {
  const char* target;
  Kind kind;
};

const std::map<std::string, Mapping>& mappings() {
  static const std::map<std::string, Mapping> table = {
      {"data.train_dataset", {"data.train", Kind::kValue}},
      {"data.val_dataset", {"data.val", Kind::kValue}},
      {"data.num_workers", {"data.threads", Kind::kValue}},
      {"data.in_memory", {"", Kind::kIgnored}},  // fastimg always memory-maps
      {"dist.world_size", {"", Kind::kIgnored}},  // taken from torchrun/SLURM
      {"dist.address", {"", Kind::kIgnored}},
      {"dist.port", {"", Kind::kIgnored}},
      {"logging.folder", {"output.run_dir", Kind::kValue}},
      {"logging.log_level", {"", Kind::kIgnored}},
      {"lr.lr", {"optimizer.lr", Kind::kValue}},
      {"lr.lr_schedule_type", {"schedule.name", Kind::kValue}},
      {"lr.lr_peak_epoch", {"schedule.lr_peak_epoch", Kind::kValue}},
      {"lr.step_ratio", {"schedule.gamma", Kind::kValue}},
      {"lr.step_length", {"", Kind::kValue}},  // expanded into schedule.milestones below
      {"model.arch", {"model.arch", Kind::kValue}},
      {"model.pretrained", {"", Kind::kMustBeZero}},
      {"resolution.min_res", {"train.min_res", Kind::kValue}},
      {"resolution.max_res", {"train.max_res", Kind::kValue}},
      {"resolution.start_ramp", {"train.start_ramp", Kind::kValue}},
      {"resolution.end_ramp", {"train.end_ramp", Kind::kValue}},
      {"training.batch_size", {"data.batch_size", Kind::kValue}},
      {"training.epochs", {"train.epochs", Kind::kValue}},
      {"training.optimizer", {"optimizer.name", Kind::kValue}},
      {"training.momentum", {"optimizer.momentum", Kind::kValue}},
      {"training.weight_decay", {"optimizer.weight_decay", Kind::kValue}},
      {"training.label_smoothing", {"optimizer.label_smoothing", Kind::kValue}},
      {"training.bn_wd", {"optimizer.decay_bn_and_bias", Kind::kBool}},
      {"training.use_blurpool", {"model.blurpool", Kind::kBool}},
      {"training.distributed", {"", Kind::kIgnored}},
      {"training.eval_only", {"", Kind::kMustBeZero}},
      {"validation.lr_tta", {"validation.tta_flip", Kind::kBool}},
      {"validation.resolution", {"validation.res", Kind::kValue}},
      {"validation.batch_size", {"data.val_batch_size", Kind::kValue}},
  };
  return table;
}

bool parse_flag(const std::string& text, const std::string& key, const std::string& path) {
  if (text == "1" || text == "true" || text == "True") return true;
  if (text == "0" || text == "false" || text == "False") return false;
  fail("{}: key '{}' must be 0/1 or true/false, not '{}'", path, key, text);
}

}  // namespace

void apply_ffcv_yaml(TrainConfig& config, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail("{}: cannot read config file", path);
  } catch (const YAML::Exception& e) {
    fail("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!root.IsMap()) fail("{}: expected sections of key: value pairs (FFCV's layout)", path);
  double step_length = 0;
  for (const auto& section : root) {
    const std::string section_name = section.first.as<std::string>();
    if (!section.second.IsMap()) fail("{}: section '{}' must be a mapping", path, section_name);
    for (const auto& item : section.second) {
      const std::string key = section_name + "." + item.first.as<std::string>();
      auto it = mappings().find(key);
      if (it == mappings().end()) fail("{}: unsupported FFCV config key '{}'", path, key);
      if (!item.second.IsScalar()) fail("{}: key '{}' must be a single value", path, key);
      const std::string value = item.second.as<std::string>();
      const Mapping& m = it->second;
      switch (m.kind) {
        case Kind::kIgnored: break;
        case Kind::kMustBeZero:
          if (parse_flag(value, key, path)) fail("{}: key '{}' = {} is not supported by fastimg", path, key, value);
          break;
        case Kind::kBool:
          apply_override(config, std::string(m.target) + "=" + (parse_flag(value, key, path) ? "true" : "false"), path);
          break;
        case Kind::kValue:
          if (key == "lr.step_length") {
            try {
              step_length = std::stod(value);
            } catch (const std::exception&) {
              fail("{}: key '{}' must be a number", path, key);
            }
          } else {
            // FFCV calls the triangular schedule "cyclic" (get_cyclic_lr).
            const std::string v = key == "lr.lr_schedule_type" && value == "cyclic" ? "triangular" : value;
            apply_override(config, std::string(m.target) + "=" + v, path + ": " + key);
          }
          break;
      }
    }
  }
  // FFCV's step schedule multiplies the lr by step_ratio every step_length epochs.
  if (config.schedule.name == "step" && step_length > 0) {
    config.schedule.milestones.clear();
    for (double e = step_length; e < static_cast<double>(config.epochs()); e += step_length)
      config.schedule.milestones.push_back(e);
  }
}

std::vector<std::pair<std::string, std::string>> ffcv_yaml_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, m] : mappings()) {
    std::string target = m.target;
    if (key == "lr.step_length") target = "schedule.milestones (every N epochs)";
    else if (m.kind == Kind::kIgnored) target = "accepted, ignored";
    else if (m.kind == Kind::kMustBeZero) target = "must be 0";
    out.emplace_back(key, target);
  }
  return out;
}

}  // namespace fastimg::train
