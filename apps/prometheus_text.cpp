#include "prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace scorecam::app::prometheus {
namespace {

bool is_name(const std::string& name, bool colons) {
  const auto allowed_first = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':');
  };
  if (name.empty() || !allowed_first(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return allowed_first(c) || (c >= '0' && c <= '9'); });
}

// HELP text: backslash and line feed escaped; label values: double quotes too.
std::string escaped(const std::string& text, bool quotes) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string value_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as the same value: 0.99, not 0.98999999999999999.
  char text[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

const char* type_name(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kSummary: return "summary";
  }
  return "untyped";
}

}  // namespace

void Exposition::family(const std::string& name, Type type, const std::string& help) {
  if (!is_name(name, true)) throw std::invalid_argument("'" + name + "' is not a Prometheus metric name");
  if (std::find(begun_.begin(), begun_.end(), name) != begun_.end())
    throw std::invalid_argument("the metric family " + name + " is written twice");
  begun_.push_back(name);
  current_ = name;
  text_ += "# HELP " + name + " " + escaped(help, false) + "\n# TYPE " + name + " " + type_name(type) + "\n";
}

void Exposition::sample(const Labels& labels, double value) { line("", labels, value); }

void Exposition::summary(const Labels& labels, const Summary& summary) {
  for (const auto& [quantile, value] : summary.quantiles) {
    Labels with_quantile = labels;
    with_quantile.emplace_back("quantile", value_text(quantile));
    line("", with_quantile, value);
  }
  line("_sum", labels, summary.sum);
  line("_count", labels, summary.count);
}

void Exposition::line(const std::string& suffix, const Labels& labels, double value) {
  if (current_.empty()) throw std::invalid_argument("a sample before its metric family");
  text_ += current_ + suffix;
  if (!labels.empty()) {
    text_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (!is_name(labels[i].first, false))
        throw std::invalid_argument("'" + labels[i].first + "' is not a Prometheus label name");
      text_ += (i ? ",": "") + labels[i].first + "=\"" + escaped(labels[i].second, true) + '"';
    }
    text_ += '}';
  }
  text_ += ' ' + value_text(value) + '\n';
}

}  // namespace scorecam::app::prometheus
