// scorecam-soak: pushes many frames of a moving test scene through scorecamoverlay and prints
// whether resident memory and per-frame latency stay flat: memory after the warm-up and at the
// end, and latency percentiles per window of frames. A benchmark, not a test: it prints figures.
//
//   scorecam-soak [--frames N] [--warmup N] [--windows K] [--size WxH] [--format F] [PROPERTY=VALUE ...]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "overlay_app.h"

namespace {

constexpr const char* kProgram = "scorecam-soak";
constexpr const char* kUsage =
    "usage: scorecam-soak [--frames N] [--warmup N] [--windows K] [--size WxH] [--format F] [PROPERTY=VALUE ...]\n"
    "  Runs N frames (default 100000) of videotestsrc's moving ball, WxH (default 640x480) in format F\n"
    "  (default NV12, as decoders give), through scorecamoverlay with the given properties into a\n"
    "  fakesink, as fast as they go. Prints resident memory after the first --warmup frames (default\n"
    "  1000) and at the end, and the element's per-frame latency (buffer in to buffer out) by window\n"
    "  of N/K frames (default K 10).\n";

struct Options {
  long frames = 100000, warmup = 1000, windows = 10;
  long long width = 640, height = 480;
  std::string format = "NV12";
  std::vector<scorecam::cli::Property> properties;
};

// Every word is a property.
scorecam::cli::Syntax syntax() {
  return {{"frames", "warmup", "windows", "size", "format"}, {}, /*properties=*/true, /*fixed_positionals=*/0,
          /*max_positionals=*/0};
}

Options read_options(const scorecam::cli::CommandLine& args) {
  using scorecam::cli::Range;
  using scorecam::cli::UsageError;
  Options options;
  options.frames = args.integer("frames", options.frames, Range::at_least(1));
  options.warmup = args.integer("warmup", options.warmup, Range::at_least(1));
  options.windows = args.integer("windows", options.windows, Range::at_least(1));
  // Checked also when they are the defaults: the report takes its windows and the frames after
  // the warm-up out of the frames run.
  if (options.warmup >= options.frames)
    throw UsageError("--warmup (" + std::to_string(options.warmup) + ") must be less than --frames (" +
                     std::to_string(options.frames) + ")");
  if (options.windows > options.frames)
    throw UsageError("--windows (" + std::to_string(options.windows) + ") must be at most --frames (" +
                     std::to_string(options.frames) + ")");
  const std::string size = args.text("size", "640x480");
  const size_t x = size.find('x');
  const auto width = scorecam::cli::to_integer(size.substr(0, x));
  const auto height = x == std::string::npos ? std::nullopt : scorecam::cli::to_integer(size.substr(x + 1));
  if (!width || !height || *width < 1 || *height < 1)
    throw UsageError("--size needs WIDTHxHEIGHT, e.g. 640x480, not '" + size + "'");
  options.width = *width;
  options.height = *height;
  options.format = args.text("format", options.format);
  options.properties = args.properties();
  return options;
}

double resident_megabytes() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return static_cast<double>(resident) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

using Clock = std::chrono::steady_clock;

// Times each buffer from the element's sink pad to its source pad, and samples resident memory at
// the end of the warm-up and of each window. Buffers leave in the order they came in.
class Recorder {
 public:
  explicit Recorder(const Options& options) : options_(options) {
    latencies_ms_.reserve(options.frames);  // before the warm-up, so that it is not counted as growth
    window_rss_.reserve(options.windows);
  }

  void attach(GstElement* overlay) {
    GstPad* sink = gst_element_get_static_pad(overlay, "sink");
    GstPad* src = gst_element_get_static_pad(overlay, "src");
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, &Recorder::on_enter, this, nullptr);
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, &Recorder::on_leave, this, nullptr);
    gst_object_unref(sink);
    gst_object_unref(src);
  }

  long frames() const { return frames_.load(); }
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }
  double warmup_rss() const { return warmup_rss_; }
  const std::vector<double>& window_rss() const { return window_rss_; }

 private:
  static GstPadProbeReturn on_enter(GstPad*, GstPadProbeInfo*, gpointer data) {
    auto* self = static_cast<Recorder*>(data);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->entered_.push_back(Clock::now());
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn on_leave(GstPad*, GstPadProbeInfo*, gpointer data) {
    auto* self = static_cast<Recorder*>(data);
    const auto now = Clock::now();
    Clock::time_point entered;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      if (self->entered_.empty()) return GST_PAD_PROBE_OK;
      entered = self->entered_.front();
      self->entered_.pop_front();
    }
    self->latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - entered).count());
    const long frames = ++self->frames_;
    const long window = self->options_.frames / self->options_.windows;
    if (frames == self->options_.warmup) self->warmup_rss_ = resident_megabytes();
    if (frames % window == 0 && static_cast<long>(self->window_rss_.size()) < self->options_.windows)
      self->window_rss_.push_back(resident_megabytes());
    return GST_PAD_PROBE_OK;
  }

  const Options& options_;
  std::mutex mutex_;
  std::deque<Clock::time_point> entered_;
  std::vector<double> latencies_ms_;
  std::atomic<long> frames_{0};
  double warmup_rss_ = 0;
  std::vector<double> window_rss_;
};

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

void print_latency_row(const char* name, const std::vector<double>& latencies, double rss) {
  std::printf("%-20s %9.2f %9.2f %9.2f %9.2f %9.1f\n", name, percentile(latencies, 0.5), percentile(latencies, 0.9),
              percentile(latencies, 0.99), latencies.empty() ? 0.0 : *std::max_element(latencies.begin(), latencies.end()),
              rss);
}

void print_report(const Options& options, const Recorder& recorder, double seconds, GstElement* overlay) {
  const std::vector<double>& latencies = recorder.latencies_ms();
  const long window = options.frames / options.windows;
  std::printf("%-20s %9s %9s %9s %9s %9s\n", "frames", "p50 ms", "p90 ms", "p99 ms", "max ms", "RSS MB");
  for (long w = 0; w < static_cast<long>(recorder.window_rss().size()); ++w) {
    const std::vector<double> part(latencies.begin() + w * window, latencies.begin() + (w + 1) * window);
    const std::string name = std::to_string(w * window + 1) + "-" + std::to_string((w + 1) * window);
    print_latency_row(name.c_str(), part, recorder.window_rss()[w]);
  }
  const std::vector<double> after_warmup(latencies.begin() + options.warmup, latencies.end());
  print_latency_row("after warm-up", after_warmup, recorder.window_rss().back());
  const double end_rss = recorder.window_rss().back();
  std::printf("resident memory: %.1f MB after %ld warm-up frames, %.1f MB at the end: %+.1f MB\n",
              recorder.warmup_rss(), options.warmup, end_rss, end_rss - recorder.warmup_rss());
  guint explained = 0, dropped = 0;
  g_object_get(overlay, "explained-frames", &explained, "dropped-work", &dropped, nullptr);
  std::printf("%ld frames in %.1f s (%.1f frames/s); explained-frames %u, dropped-work %u\n", recorder.frames(),
              seconds, recorder.frames() / seconds, explained, dropped);
}

// Runs to EOS, with a line of progress every 30 s; false on an error.
bool run(GstElement* pipeline, const Recorder& recorder, long total) {
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  bool ok = false;
  for (;;) {
    GstMessage* message =
        gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (!message) {
      std::fprintf(stderr, "%s: %ld of %ld frames\n", kProgram, recorder.frames(), total);
      continue;
    }
    ok = GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
    if (!ok) std::fprintf(stderr, "%s: %s\n", kProgram, scorecam::app::error_text(message).c_str());
    gst_message_unref(message);
    break;
  }
  gst_object_unref(bus);
  return ok;
}

// The exit status: 0 when every frame came through.
int soak(const Options& options) {
  if (!scorecam::app::find_overlay_element(kProgram)) return 1;
  GstElement* pipeline = scorecam::app::launch(
      "videotestsrc pattern=ball num-buffers=" + std::to_string(options.frames) + " ! video/x-raw,format=" +
          options.format + ",width=" + std::to_string(options.width) + ",height=" + std::to_string(options.height) +
          ",framerate=30/1 ! scorecamoverlay name=overlay ! fakesink sync=false",
      kProgram);
  if (!pipeline) return 1;
  GstElement* overlay = gst_bin_get_by_name(GST_BIN(pipeline), "overlay");
  int status = 1;
  if (scorecam::app::set_overlay_properties(overlay, options.properties, kProgram)) {
    std::string properties;
    for (const auto& [name, value] : options.properties) properties += " " + name + "=" + value;
    std::printf("scorecamoverlay%s; %ld frames of %lldx%lld %s\n", properties.c_str(), options.frames,
                options.width, options.height, options.format.c_str());
    std::fflush(stdout);
    Recorder recorder(options);
    recorder.attach(overlay);
    const auto start = Clock::now();
    if (run(pipeline, recorder, options.frames)) {
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (recorder.frames() == options.frames) {
        print_report(options, recorder, seconds, overlay);
        status = 0;
      } else {
        std::fprintf(stderr, "%s: %ld of %ld frames came out of the element\n", kProgram, recorder.frames(),
                     options.frames);
      }
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(overlay);
  gst_object_unref(pipeline);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, syntax()}, argc, argv,
                                           [](const auto& args) { return soak(read_options(args)); });
}
