#include "train/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "train/config_schema.h"
#include "train/ffcv_yaml_config.h"
#include "train/rr_toml_config.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

// A TOML value as a SettingValue (the setting checks its type and range).
SettingValue value_of(const toml::node& node, const std::string& origin, const std::string& key) {
  if (auto* s = node.as_string()) return s->get();
  if (auto* b = node.as_boolean()) return b->get();
  if (auto* i = node.as_integer()) return i->get();
  if (auto* f = node.as_floating_point()) return f->get();
  if (auto* a = node.as_array()) {
    std::vector<double> items;
    for (const auto& item : *a) {
      if (item.is_integer()) items.push_back(static_cast<double>(item.as_integer()->get()));
      else if (item.is_floating_point()) items.push_back(item.as_floating_point()->get());
      else fail("{}: {} must be an array of numbers", origin, key);
    }
    return items;
  }
  fail("{}: {} has a value of an unsupported kind (a table, a date or a mixed array)", origin, key);
}

const Setting& setting_or_fail(const std::string& key, const std::string& origin) {
  const Setting* s = find_setting(key);
  if (!s) fail("{}: unknown config key '{}' ({})", origin, key, known_keys_hint());
  return *s;
}

void apply_table(TrainConfig& config, const toml::table& table, const std::string& prefix, const std::string& origin) {
  for (const auto& [name, node] : table) {
    const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (node.is_table()) {
      apply_table(config, *node.as_table(), key, origin);
      continue;
    }
    setting_or_fail(key, origin).set(config, value_of(node, origin, key), origin);
  }
}

void require(bool ok, const std::string& origin, const std::string& message) {
  if (!ok) fail("{}: {}", origin, message);
}

}  // namespace

void apply_override(TrainConfig& config, const std::string& assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail("{}: expected key=value, got '{}'", origin, assignment);
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const Setting& s = setting_or_fail(key, origin);
  // Strings and names may be given bare (data.train=train.beton); quoted ones and everything else
  // are parsed as TOML values.
  const bool textual = s.type == SettingType::kString || s.type == SettingType::kChoice;
  if (textual && (value.empty() || (value.front() != '"' && value.front() != '\''))) {
    s.set(config, value, origin);
    return;
  }
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    fail("{}: {} must be {}, not '{}'", origin, key, s.allowed().empty() ? s.type_name() : s.allowed(), value);
  }
  s.set(config, value_of(*parsed.get("v"), origin, key), origin);
}

void validate_config(const TrainConfig& c, const std::string& origin) {
  const auto& res = c.train.resolution;
  require(res.min_res <= res.max_res, origin,
          fmt::format("train.min_res ({}) must be <= train.max_res ({})", res.min_res, res.max_res));
  require(res.start_ramp <= res.end_ramp, origin,
          fmt::format("train.start_ramp ({}) must be <= train.end_ramp ({})", res.start_ramp, res.end_ramp));
  const auto& crop = c.augment.crop;
  require(crop.scale_min <= crop.scale_max, origin,
          fmt::format("augment.scale_min ({}) must be <= augment.scale_max ({})", crop.scale_min, crop.scale_max));
  require(crop.ratio_min <= crop.ratio_max, origin,
          fmt::format("augment.ratio_min ({}) must be <= augment.ratio_max ({})", crop.ratio_min, crop.ratio_max));
  try {
    optim::validate(c.schedule);
  } catch (const Error& e) {
    fail("{}: {} (keys schedule.* and train.epochs)", origin, e.what());
  }
}

TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                        const std::string& data_config) {
  TrainConfig config;
  const bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
  if (!data_config.empty() && (yaml || path.empty()))
    fail("--data-config {}: goes with a Reproduce-ResNet train config given as --config (e.g. "
         "config/train/resnet50-sgd.toml)",
         data_config);
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
    // The reproduction project's files are told apart by their top-level keys (fastimg's are all
    // sections of its own); either file of the pair, or --data-config, selects that reader.
    std::vector<std::string> top_level;
    for (const auto& [name, node] : table) top_level.emplace_back(name.str());
    if (!data_config.empty() || reproduce_resnet_file_kind(top_level) != ReproduceResNetFile::kNone)
      apply_reproduce_resnet_toml(config, path, data_config);
    else
      apply_table(config, table, "", path);
  }
  for (const auto& o : overrides) apply_override(config, o, "--set " + o);
  validate_config(config, path.empty() ? "config" : path);
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
  validate_config(config, origin);
  return config;
}

std::string to_toml(const TrainConfig& config) {
  std::string out, section;
  for (const auto& s : settings()) {
    const auto dot = s.key.find('.');
    const std::string sec = s.key.substr(0, dot), leaf = s.key.substr(dot + 1);
    if (sec != section) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", sec);
      section = sec;
    }
    out += fmt::format("{} = {}\n", leaf, s.to_toml(config));
  }
  return out;
}

}  // namespace fastimg::train
