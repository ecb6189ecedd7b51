#pragma once
// The command line of every program in apps/: "--name value" options, flags, positional words
// and, for the programs that run the element, PROPERTY=VALUE pairs. It includes neither LibTorch
// nor GStreamer, so that the pipeline programs can use it without linking either.
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace scorecam::cli {

// A command line the program cannot take; the message names the option. Status 2, with the usage.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

// The values a number may take, for the check and for the message that gives them.
class Range {
 public:
  Range() = default;  // any
  static Range above(double low) { return Range(low, false, kInfinity); }
  static Range at_least(double low) { return Range(low, true, kInfinity); }
  static Range from_to(double low, double high) { return Range(low, true, high); }

  bool holds(double value) const { return (low_included_ ? value >= low_ : value > low_) && value <= high_; }
  // " above 0", " of at least 1", " from 0 to 1"; empty for any.
  std::string text() const;

 private:
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();
  Range(double low, bool low_included, double high) : low_(low), high_(high), low_included_(low_included) {}
  double low_ = -kInfinity, high_ = kInfinity;
  bool low_included_ = true;
};

// A NAME=VALUE word: for the pipeline programs, a property of the element.
struct Property {
  std::string name, value;
};

// What a program takes besides --help, which every program takes.
struct Syntax {
  std::set<std::string> options;  // --NAME VALUE
  std::set<std::string> flags;    // --NAME
  // Whether words may be PROPERTY=VALUE pairs. The first `fixed_positionals` words are positional
  // whatever they hold; after them a word with '=' is a property, and so is every word once there
  // are `max_positionals`. Without properties every word is positional, up to `max_positionals`.
  bool properties = false;
  std::size_t fixed_positionals = 0;
  std::size_t max_positionals = std::numeric_limits<std::size_t>::max();
  // --NAME VALUE that may stand several times, each value kept (CommandLine::all): one camera
  // each. Last, so that the programs' brace-initialized syntaxes keep their meaning.
  std::set<std::string> repeatable;
};

class CommandLine {
 public:
  // Throws UsageError for an unknown option (any word starting with '-' that is not an option's
  // value), an option without its value, a word that is not PROPERTY=VALUE where only such a
  // pair can stand, and a positional word too many. An option given twice keeps its last value,
  // unless it is repeatable.
  CommandLine(int argc, char* const* argv, const Syntax& syntax);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string text(const std::string& name, const std::string& fallback = "") const;
  // Every value of a repeatable option, in the order given; empty when it is absent.
  std::vector<std::string> all(const std::string& name) const;
  // The option's value as a number within `range` (and, for integers, within the type), or
  // UsageError "--NAME needs an integer of at least 1, not 'x'"; `fallback` when it is absent.
  template <typename Integer>
  Integer integer(const std::string& name, Integer fallback, const Range& range = {}) const {
    static_assert(std::is_integral_v<Integer> && std::is_signed_v<Integer>, "a signed integer type");
    if (!has(name)) return fallback;
    return static_cast<Integer>(
        checked_integer(name, std::numeric_limits<Integer>::min(), std::numeric_limits<Integer>::max(), range));
  }
  double number(const std::string& name, double fallback, const Range& range = {}) const;

  const std::vector<std::string>& positional() const { return positional_; }
  const std::vector<Property>& properties() const { return properties_; }

 private:
  long long checked_integer(const std::string& name, long long low, long long high, const Range& range) const;

  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> repeated_;
  std::vector<std::string> positional_;
  std::vector<Property> properties_;
};

// The whole of `text` as a base-10 integer or a finite number; nothing for anything else (empty,
// leading space, trailing junk, out of range). For values made of parts, such as "2,4,8" or "640x480".
std::optional<long long> to_integer(const std::string& text);
std::optional<double> to_number(const std::string& text);

struct Program {
  const char* name;
  const char* usage;  // "usage: NAME ..." and what the options do
  Syntax syntax;
};

// Parses the command line and runs `body` on it. --help prints the usage on stdout (status 0); a
// UsageError, from the parse or from `body`, prints "NAME: message" and the usage on stderr
// (status 2). Otherwise `body`'s status.
int run(const Program& program, int argc, char* const* argv, const std::function<int(const CommandLine&)>& body);

}  // namespace scorecam::cli
