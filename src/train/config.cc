#include "train/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <functional>
#include <sstream>
#include <toml++/toml.h>
#include <variant>

#include "train/ffcv_yaml_config.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

using FieldRef = std::variant<std::string*, int64_t*, uint64_t*, double*, bool*, std::vector<double>*>;

struct Key {
  const char* name;
  std::function<FieldRef(TrainConfig&)> field;
};

#define FASTIMG_KEY(name, member) Key{name, [](TrainConfig& c) -> FieldRef { return &c.member; }}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      FASTIMG_KEY("data.train", train_path),
      FASTIMG_KEY("data.val", val_path),
      FASTIMG_KEY("data.threads", threads),
      FASTIMG_KEY("data.order", order),
      FASTIMG_KEY("data.batch_size", batch_size),
      FASTIMG_KEY("data.val_batch_size", val_batch_size),
      FASTIMG_KEY("data.batches_ahead", batches_ahead),
      FASTIMG_KEY("data.strict", strict_data),
      FASTIMG_KEY("model.arch", arch),
      FASTIMG_KEY("model.blurpool", blurpool),
      FASTIMG_KEY("model.zero_init_residual", zero_init_residual),
      FASTIMG_KEY("model.sync_bn", sync_bn),
      FASTIMG_KEY("model.num_classes", num_classes),
      FASTIMG_KEY("optimizer.name", optimizer),
      FASTIMG_KEY("optimizer.lr", lr),
      FASTIMG_KEY("optimizer.momentum", momentum),
      FASTIMG_KEY("optimizer.nesterov", nesterov),
      FASTIMG_KEY("optimizer.weight_decay", weight_decay),
      FASTIMG_KEY("optimizer.decay_bn_and_bias", decay_bn_and_bias),
      FASTIMG_KEY("optimizer.beta1", beta1),
      FASTIMG_KEY("optimizer.beta2", beta2),
      FASTIMG_KEY("optimizer.eps", eps),
      FASTIMG_KEY("optimizer.warmup_steps", sf_warmup_steps),
      FASTIMG_KEY("optimizer.r", sf_r),
      FASTIMG_KEY("optimizer.weight_lr_power", sf_weight_lr_power),
      FASTIMG_KEY("optimizer.rho", sam_rho),
      FASTIMG_KEY("optimizer.sam_adaptive", sam_adaptive),
      FASTIMG_KEY("optimizer.sam_base", sam_base),
      FASTIMG_KEY("optimizer.no_decay_rule", no_decay_rule),
      FASTIMG_KEY("optimizer.label_smoothing", label_smoothing),
      FASTIMG_KEY("optimizer.grad_clip", grad_clip),
      FASTIMG_KEY("optimizer.grad_accumulation", grad_accumulation),
      FASTIMG_KEY("schedule.name", schedule),
      FASTIMG_KEY("schedule.lr_peak_epoch", lr_peak_epoch),
      FASTIMG_KEY("schedule.warmup_epochs", warmup_epochs),
      FASTIMG_KEY("schedule.warmup_start_fraction", warmup_start_fraction),
      FASTIMG_KEY("schedule.initial_fraction", initial_fraction),
      FASTIMG_KEY("schedule.milestones", milestones),
      FASTIMG_KEY("schedule.step_size", step_size),
      FASTIMG_KEY("schedule.gamma", gamma),
      FASTIMG_KEY("schedule.min_lr", min_lr),
      FASTIMG_KEY("train.epochs", epochs),
      FASTIMG_KEY("train.min_res", min_res),
      FASTIMG_KEY("train.max_res", max_res),
      FASTIMG_KEY("train.start_ramp", start_ramp),
      FASTIMG_KEY("train.end_ramp", end_ramp),
      FASTIMG_KEY("train.res_multiple", res_multiple),
      FASTIMG_KEY("train.precision", precision),
      FASTIMG_KEY("train.channels_last", channels_last),
      FASTIMG_KEY("train.device", device),
      FASTIMG_KEY("train.seed", seed),
      FASTIMG_KEY("train.max_steps_per_epoch", max_steps_per_epoch),
      FASTIMG_KEY("train.stop_after_epochs", stop_after_epochs),
      FASTIMG_KEY("train.log_every", log_every),
      FASTIMG_KEY("validation.res", val_res),
      FASTIMG_KEY("validation.tta_flip", tta_flip),
      FASTIMG_KEY("validation.eval_every", eval_every),
      FASTIMG_KEY("validation.bn_recalibration", bn_recalibration),
      FASTIMG_KEY("validation.bn_recalibration_samples", bn_recalibration_samples),
      FASTIMG_KEY("output.run_dir", run_dir),
      FASTIMG_KEY("output.progress", progress),
      FASTIMG_KEY("output.resume", resume),
  };
  return table;
}
#undef FASTIMG_KEY

const Key* find_key(std::string_view name) {
  for (const auto& k : keys())
    if (name == k.name) return &k;
  return nullptr;
}

std::string known_keys_hint() { return fmt::format("known keys: {}", fmt::join(config_keys(), ", ")); }

// Sets a field from a TOML node, checking its type.
void set_from_node(TrainConfig& config, const Key& key, const toml::node& node, const std::string& origin) {
  auto bad = [&](const char* want) {
    fail("{}: key '{}' must be {}", origin, key.name, want);
  };
  std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) bad("a string");
          *field = node.as_string()->get();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!node.is_boolean()) bad("true or false");
          *field = node.as_boolean()->get();
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
          if (!node.is_integer()) bad("an integer");
          int64_t v = node.as_integer()->get();
          if (std::is_same_v<T, uint64_t> && v < 0) bad("a non-negative integer");
          *field = static_cast<T>(v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (node.is_integer()) *field = static_cast<double>(node.as_integer()->get());
          else if (node.is_floating_point()) *field = node.as_floating_point()->get();
          else bad("a number");
        } else {
          if (!node.is_array()) bad("an array of numbers");
          field->clear();
          for (const auto& item : *node.as_array()) {
            if (item.is_integer()) field->push_back(static_cast<double>(item.as_integer()->get()));
            else if (item.is_floating_point()) field->push_back(item.as_floating_point()->get());
            else bad("an array of numbers");
          }
        }
      },
      key.field(config));
}

void apply_table(TrainConfig& config, const toml::table& table, const std::string& prefix, const std::string& origin) {
  for (const auto& [name, node] : table) {
    std::string full = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (node.is_table()) {
      apply_table(config, *node.as_table(), full, origin);
      continue;
    }
    const Key* key = find_key(full);
    if (!key) fail("{}: unknown config key '{}' ({})", origin, full, known_keys_hint());
    set_from_node(config, *key, node, origin);
  }
}

std::string format_field(const FieldRef& ref) {
  return std::visit(
      [](auto* field) -> std::string {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, std::string>) {
          std::ostringstream os;
          os << toml::value<std::string>(*field);
          return os.str();
        } else if constexpr (std::is_same_v<T, bool>) {
          return *field ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          // Always a float literal so the file reads back with the same type.
          std::string s = fmt::format("{}", *field);
          if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
          return s;
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          std::vector<std::string> items;
          for (double v : *field) items.push_back(fmt::format("{}", v));
          return "[" + fmt::format("{}", fmt::join(items, ", ")) + "]";
        } else {
          return fmt::format("{}", *field);
        }
      },
      ref);
}

}  // namespace

std::vector<std::string> config_keys() {
  std::vector<std::string> names;
  for (const auto& k : keys()) names.emplace_back(k.name);
  return names;
}

void apply_override(TrainConfig& config, const std::string& assignment, const std::string& origin) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail("{}: expected key=value, got '{}'", origin, assignment);
  std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  const Key* key = find_key(name);
  if (!key) fail("{}: unknown config key '{}' ({})", origin, name, known_keys_hint());
  // Strings may be given bare (data.train=train.beton); everything else is parsed as a TOML value.
  FieldRef ref = key->field(config);
  if (std::holds_alternative<std::string*>(ref)) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    *std::get<std::string*>(ref) = value;
    return;
  }
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    fail("{}: cannot parse value '{}' for key '{}'", origin, value, name);
  }
  set_from_node(config, *key, *parsed.get("v"), origin);
}

TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  TrainConfig config;
  const bool yaml = path.size() > 5 && (path.ends_with(".yaml") || path.ends_with(".yml"));
  if (yaml) {
    apply_ffcv_yaml(config, path);
  } else if (!path.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      const auto& where = e.source().begin;
      fail("{}:{}:{}: {}", path, where.line, where.column, e.description());
    }
    apply_table(config, table, "", path);
  }
  for (const auto& o : overrides) apply_override(config, o, "--set " + o);
  return config;
}

TrainConfig parse_config_text(const std::string& toml_text, const std::string& origin) {
  TrainConfig config;
  toml::table table;
  try {
    table = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    fail("{}: {}", origin, e.description());
  }
  apply_table(config, table, "", origin);
  return config;
}

std::string to_toml(const TrainConfig& config_in) {
  TrainConfig config = config_in;
  std::string out, section;
  for (const auto& k : keys()) {
    std::string name = k.name;
    auto dot = name.find('.');
    std::string sec = name.substr(0, dot), leaf = name.substr(dot + 1);
    if (sec != section) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", sec);
      section = sec;
    }
    out += fmt::format("{} = {}\n", leaf, format_field(k.field(config)));
  }
  return out;
}

}  // namespace fastimg::train
