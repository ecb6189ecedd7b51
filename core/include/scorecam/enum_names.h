#pragma once
// The names of an enum's values, for options given as text: one table per enum, beside the enum,
// read both ways by the core's parsers and by the element's GEnum types (the nick is the name, the
// description its help text), so that a value and its name are written once.
#include <string>
#include <vector>

#include "scorecam/error.h"

namespace scorecam {

template <typename Enum>
struct EnumName {
  const char* name;
  Enum value;
  const char* description;
};

template <typename Enum>
using EnumNames = std::vector<EnumName<Enum>>;

// Throws an Error that names `what` and lists the valid names.
template <typename Enum>
Enum parse_enum(const std::string& name, const EnumNames<Enum>& names, const char* what) {
  std::string valid;
  for (const auto& entry : names) {
    if (name == entry.name) return entry.value;
    valid += (valid.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw Error("unknown " + std::string(what) + " '" + name + "': use one of " + valid);
}

template <typename Enum>
std::string enum_name(Enum value, const EnumNames<Enum>& names) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

}  // namespace scorecam
