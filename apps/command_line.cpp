#include "command_line.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace scorecam::cli {

namespace {

std::string format(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// strtoll and strtod skip leading space and stop at junk; a value is the whole word or nothing.
template <typename Number, typename Convert>
std::optional<Number> whole(const std::string& text, Convert convert) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const Number value = convert(text.c_str(), &end);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  return value;
}

}  // namespace

std::string Range::text() const {
  if (low_ == -kInfinity && high_ == kInfinity) return "";
  if (high_ == kInfinity) return (low_included_ ? " of at least " : " above ") + format(low_);
  return " from " + format(low_) + " to " + format(high_);
}

std::optional<long long> to_integer(const std::string& text) {
  return whole<long long>(text, [](const char* start, char** end) { return std::strtoll(start, end, 10); });
}

std::optional<double> to_number(const std::string& text) {
  const auto value = whole<double>(text, [](const char* start, char** end) { return std::strtod(start, end); });
  if (value && !std::isfinite(*value)) return std::nullopt;  // "inf", "nan"
  return value;
}

CommandLine::CommandLine(int argc, char* const* argv, const Syntax& syntax) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!word.empty() && word.front() == '-') {
      const std::string name = word.rfind("--", 0) == 0 ? word.substr(2) : "";
      if (name == "help" || syntax.flags.count(name)) {
        values_[name] = "";
      } else if (syntax.options.count(name) || syntax.repeatable.count(name)) {
        if (i + 1 >= argc) throw UsageError("option " + word + " needs a value");
        values_[name] = argv[++i];
        if (syntax.repeatable.count(name)) repeated_[name].push_back(values_[name]);
      } else {
        throw UsageError("unknown option " + word);
      }
      continue;
    }
    const std::size_t count = positional_.size(), equals = word.find('=');
    const bool property = syntax.properties && (count >= syntax.max_positionals ||
                                                (count >= syntax.fixed_positionals && equals != std::string::npos));
    if (property) {
      if (equals == std::string::npos || equals == 0) throw UsageError("'" + word + "' is not PROPERTY=VALUE");
      properties_.push_back({word.substr(0, equals), word.substr(equals + 1)});
    } else if (count < syntax.max_positionals) {
      positional_.push_back(word);
    } else {
      throw UsageError("unexpected argument '" + word + "'");
    }
  }
}

std::string CommandLine::text(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> CommandLine::all(const std::string& name) const {
  const auto it = repeated_.find(name);
  return it == repeated_.end() ? std::vector<std::string>{} : it->second;
}

long long CommandLine::checked_integer(const std::string& name, long long low, long long high,
                                       const Range& range) const {
  const std::string value = text(name);
  const auto result = to_integer(value);
  if (!result || *result < low || *result > high || !range.holds(static_cast<double>(*result)))
    throw UsageError("--" + name + " needs an integer" + range.text() + ", not '" + value + "'");
  return *result;
}

double CommandLine::number(const std::string& name, double fallback, const Range& range) const {
  if (!has(name)) return fallback;
  const std::string value = text(name);
  const auto result = to_number(value);
  if (!result || !range.holds(*result))
    throw UsageError("--" + name + " needs a number" + range.text() + ", not '" + value + "'");
  return *result;
}

int run(const Program& program, int argc, char* const* argv, const std::function<int(const CommandLine&)>& body) {
  try {
    const CommandLine command_line(argc, argv, program.syntax);
    if (command_line.has("help")) {
      std::cout << program.usage;
      return 0;
    }
    return body(command_line);
  } catch (const UsageError& e) {
    std::cerr << program.name << ": " << e.what() << "\n" << program.usage;
    return 2;
  }
}

}  // namespace scorecam::cli
