// The Prometheus exposition of scorecam-camera's /metrics (apps/prometheus_text.h): its escaping
// exact, and what it writes accepted by Prometheus' own checker (promtool, Debian's prometheus).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "prometheus_text.h"

namespace {

using scorecam::app::prometheus::Exposition;
using scorecam::app::prometheus::Summary;
using scorecam::app::prometheus::Type;

// promtool check metrics on `text`: its exit status and what it said.
std::pair<int, std::string> promtool_check(const std::string& text) {
  char path[] = "/tmp/scorecam-metrics-XXXXXX";
  const int fd = mkstemp(path);
  std::ofstream(path) << text;
  close(fd);
  const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pipe ? pclose(pipe) : -1;
  std::remove(path);
  return {status, output};
}

bool has_promtool() { return std::system("command -v promtool > /dev/null 2>&1") == 0; }

TEST(PrometheusText, EscapesLabelValuesAndHelpAndWritesSpecialValues) {
  Exposition out;
  out.family("demo_frames_total", Type::kCounter, "Frames\nwith a \\ and \"quotes\"");
  out.sample({{"camera", "a\"b\\c\nd"}}, 12);
  out.sample({{"camera", "caméra"}}, 1e17);
  out.family("demo_seconds", Type::kGauge, "A gauge");
  out.sample({}, std::numeric_limits<double>::quiet_NaN());
  out.sample({{"camera", "x"}}, std::numeric_limits<double>::infinity());
  EXPECT_EQ(out.text(),
            "# HELP demo_frames_total Frames\\nwith a \\\\ and \"quotes\"\n"
            "# TYPE demo_frames_total counter\n"
            "demo_frames_total{camera=\"a\\\"b\\\\c\\nd\"} 12\n"
            "demo_frames_total{camera=\"caméra\"} 1e+17\n"
            "# HELP demo_seconds A gauge\n"
            "# TYPE demo_seconds gauge\n"
            "demo_seconds NaN\n"
            "demo_seconds{camera=\"x\"} +Inf\n");
}

TEST(PrometheusText, WritesASummaryWithItsQuantilesSumAndCount) {
  Exposition out;
  out.family("demo_latency_seconds", Type::kSummary, "Latency");
  out.summary({{"camera", "a"}}, Summary{{{0.5, 0.25}, {0.99, 0.5}}, 3.5, 10});
  EXPECT_EQ(out.text(),
            "# HELP demo_latency_seconds Latency\n"
            "# TYPE demo_latency_seconds summary\n"
            "demo_latency_seconds{camera=\"a\",quantile=\"0.5\"} 0.25\n"
            "demo_latency_seconds{camera=\"a\",quantile=\"0.99\"} 0.5\n"
            "demo_latency_seconds_sum{camera=\"a\"} 3.5\n"
            "demo_latency_seconds_count{camera=\"a\"} 10\n");
}

TEST(PrometheusText, RefusesWhatWouldNotParse) {
  Exposition out;
  EXPECT_THROW(out.sample({}, 1), std::invalid_argument);  // no family yet
  EXPECT_THROW(out.family("2fast", Type::kGauge, ""), std::invalid_argument);
  EXPECT_THROW(out.family("with-dash", Type::kGauge, ""), std::invalid_argument);
  out.family("ok_total", Type::kCounter, "");
  EXPECT_THROW(out.family("ok_total", Type::kCounter, ""), std::invalid_argument);  // a family is written once
  EXPECT_THROW(out.sample({{"bad-label", "x"}}, 1), std::invalid_argument);
}

TEST(PrometheusText, PromtoolAcceptsIt) {
  ASSERT_TRUE(has_promtool()) << "promtool is missing: install Debian's package prometheus (tools/packages/test.txt)";
  Exposition out;
  out.family("demo_frames_total", Type::kCounter, "Frames \"in\"\nover \\ lines");
  out.sample({{"camera", "a\"b\\c\nd"}}, 12);
  out.sample({{"camera", "b"}}, 0);
  out.family("demo_latency_seconds", Type::kSummary, "Latency");
  out.summary({{"camera", "a"}}, Summary{{{0.5, std::numeric_limits<double>::quiet_NaN()}, {0.9, 1}}, 0, 0});
  const auto [status, output] = promtool_check(out.text());
  EXPECT_EQ(status, 0) << output << "\n" << out.text();
  // And it tells a broken exposition from a good one.
  const auto [broken, said] = promtool_check("demo_total{camera=\"a} 1\n");
  EXPECT_NE(broken, 0) << said;
}

}  // namespace
