#pragma once
// The one declaration of every config key: section.key, type, allowed values, one-line doc, and
// where in TrainConfig it lives (its default is that field's default). Parsing, --set,
// --print-config, --help-config, docs/config.md and load-time validation all read this table.
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "train/config.h"

namespace fastimg::train {

enum class SettingType { kString, kInt, kFloat, kBool, kFloatList, kChoice };

// A value as read from TOML or --set, before it is checked against the setting.
using SettingValue = std::variant<std::string, int64_t, double, bool, std::vector<double>>;

// Numeric bounds; a list setting applies them to each element.
struct Range {
  std::optional<double> min, max;
  bool min_exclusive = false, max_exclusive = false;
  bool contains(double v) const;
  std::string describe() const;  // "an integer >= 1", "a number in [0, 1)" (with the type's noun)
};

struct Setting {
  std::string key;  // "section.key"
  SettingType type = SettingType::kString;
  std::string doc;
  Range range;                                      // kInt, kFloat, kFloatList
  std::function<std::vector<std::string>()> choices;  // kChoice (and checked strings); empty = any
  // Checks `value` (type, range, choices) and stores it; errors name `origin` and the key.
  std::function<void(TrainConfig&, const SettingValue&, const std::string& origin)> set;
  std::function<std::string(const TrainConfig&)> to_toml;  // the current value as a TOML literal

  std::string type_name() const;  // "int", "float", "bool", "string", "float array", "one of"
  std::string allowed() const;    // the range or the choices, for docs and errors ("" = any)
};

// Every key, in section order.
const std::vector<Setting>& settings();
// The setting named `key`, or nullptr.
const Setting* find_setting(std::string_view key);
// "known keys: a, b, ..." for unknown-key errors.
std::string known_keys_hint();

}  // namespace fastimg::train
