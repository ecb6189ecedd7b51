#pragma once
// Metrics in Prometheus' text exposition format 0.0.4, as a scrape reads them
// (https://prometheus.io/docs/instrumenting/exposition_formats/): each family once, its HELP and
// TYPE lines first, then its samples; label values and help texts escaped. prometheus-cpp is not
// packaged in Debian bookworm, and this is all of it the programs need.
#include <string>
#include <utility>
#include <vector>

namespace scorecam::app::prometheus {

// What a scrape is answered with.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kSummary };

using Labels = std::vector<std::pair<std::string, std::string>>;  // name, value

// A summary's quantiles (0.5, ...) with their values, and the sum and count of all observations.
struct Summary {
  std::vector<std::pair<double, double>> quantiles;
  double sum = 0;
  double count = 0;
};

class Exposition {
 public:
  // Starts the family `name`; the samples that follow are its own. std::invalid_argument for a name
  // that is not a metric name, or one begun before: the callers' names are constants.
  void family(const std::string& name, Type type, const std::string& help);
  // A counter's or gauge's value; NaN and infinities as Prometheus writes them.
  void sample(const Labels& labels, double value);
  // A summary's series: NAME{quantile=...} for each quantile, NAME_sum and NAME_count.
  void summary(const Labels& labels, const Summary& summary);

  const std::string& text() const { return text_; }

 private:
  void line(const std::string& suffix, const Labels& labels, double value);

  std::string text_;
  std::string current_;
  std::vector<std::string> begun_;
};

}  // namespace scorecam::app::prometheus
