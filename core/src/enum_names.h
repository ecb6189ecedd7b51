#pragma once
// The names of an enum's values, for options given as text: one table per enum, read both ways.
#include <string>
#include <utility>
#include <vector>

#include "scorecam/error.h"

namespace scorecam {

template <typename Enum>
using EnumNames = std::vector<std::pair<const char*, Enum>>;

// Throws an Error that names `what` and lists the valid names.
template <typename Enum>
Enum parse_enum(const std::string& name, const EnumNames<Enum>& names, const char* what) {
  std::string valid;
  for (const auto& [text, value] : names) {
    if (name == text) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(text);
  }
  throw Error("unknown " + std::string(what) + " '" + name + "': use one of " + valid);
}

template <typename Enum>
std::string enum_name(Enum value, const EnumNames<Enum>& names) {
  for (const auto& [text, v] : names) {
    if (v == value) return text;
  }
  return {};
}

}  // namespace scorecam
