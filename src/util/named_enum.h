#pragma once
// Enum-like settings spelled one way: each enum has one table of (name, value) pairs, and every
// parser, printer and help text goes through it.
#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace fastimg {

template <class E>
using EnumNames = std::span<const std::pair<const char*, E>>;

template <class E>
std::vector<std::string> enum_choices(EnumNames<E> names) {
  std::vector<std::string> out;
  for (const auto& [name, value] : names) out.emplace_back(name);
  return out;
}

// The value named `text`; otherwise fastimg::Error "<what> must be a, b or c, not 'text'".
template <class E>
E parse_enum(EnumNames<E> names, std::string_view text, std::string_view what) {
  for (const auto& [name, value] : names)
    if (text == name) return value;
  std::string list;
  for (size_t i = 0; i < names.size(); ++i)
    list += fmt::format("{}{}", i == 0 ? "" : (i + 1 == names.size() ? " or " : ", "), names[i].first);
  fail("{} must be {}, not '{}'", what, list, text);
}

template <class E>
const char* enum_name(EnumNames<E> names, E value) {
  for (const auto& [name, v] : names)
    if (v == value) return name;
  return "?";
}

}  // namespace fastimg
