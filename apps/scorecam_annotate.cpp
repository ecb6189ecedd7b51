// scorecam-annotate: runs scorecamoverlay over one video file, writes the annotated copy and one
// JSON line per frame (from the element's "scorecam" bus messages), and shows progress.
//
// Both files are written under temporary names (NAME.partial.EXT) and renamed only when the whole
// input was annotated: a file under its final name is always a finished result. A failed input
// (not a video, a decoding error, no frame at all, fewer frames than its container declares)
// leaves nothing behind, or with --keep-incomplete a short one is kept as NAME.incomplete.EXT.
//
//   scorecam-annotate [--encoder DESCRIPTION] [--quiet] [--keep-incomplete] INPUT OUTPUT.mp4 RESULTS.jsonl
//                     [PROPERTY=VALUE ...]
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "decode_check.h"
#include "overlay_app.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/json_lines_writer.h"

namespace {

using scorecam::app::DecodeCheck;
using scorecam::app::partial_name;
using scorecam::app::tagged_name;
using scorecam::publish::JsonLinesWriter;
using scorecam::publish::PublishError;

constexpr const char* kProgram = "scorecam-annotate";
constexpr const char* kUsage =
    "usage: scorecam-annotate [--encoder DESCRIPTION] [--quiet] [--keep-incomplete] INPUT OUTPUT.mp4 RESULTS.jsonl\n"
    "                         [PROPERTY=VALUE ...]\n"
    "  Annotates INPUT with scorecamoverlay into OUTPUT.mp4 and writes one JSON object per frame to\n"
    "  RESULTS.jsonl. PROPERTY=VALUE pairs set scorecamoverlay properties (gst-inspect-1.0 scorecamoverlay).\n"
    "  --encoder  gst-launch description of the video encoder (default: x264enc speed-preset=veryfast)\n"
    "  --quiet    no progress on stderr\n"
    "  --keep-incomplete  keep the outputs of a video that decoded short as NAME.incomplete.EXT\n"
    "  Both are written as NAME.partial.EXT and renamed when INPUT is done; on failure they are removed.\n"
    "  A video is done only when its decoder reported no error and it decoded the frames its container\n"
    "  declares (duration x frame rate, within 1 % or 2 frames); else it fails (status 1).\n"
    "  Ctrl-C or SIGTERM finishes the partial MP4 with the frames so far, keeps both partial files and\n"
    "  exits with status 130 (SIGINT) or 143 (SIGTERM).\n";

struct Options {
  std::string encoder = "x264enc speed-preset=veryfast";
  bool quiet = false, keep_incomplete = false;
  std::string input, output, results;
  std::vector<scorecam::cli::Property> properties;
};

// The three files come first, whatever their names hold; the words after them are properties.
scorecam::cli::Syntax syntax() {
  scorecam::cli::Syntax syntax{{"encoder"}, {"quiet", "keep-incomplete"}};
  syntax.properties = true;
  syntax.fixed_positionals = syntax.max_positionals = 3;
  return syntax;
}

Options read_options(const scorecam::cli::CommandLine& args) {
  if (args.positional().size() < 3) throw scorecam::cli::UsageError("give INPUT, OUTPUT.mp4 and RESULTS.jsonl");
  Options options;
  options.encoder = args.text("encoder", options.encoder);
  options.quiet = args.has("quiet");
  options.keep_incomplete = args.has("keep-incomplete");
  options.input = args.positional()[0];
  options.output = args.positional()[1];
  options.results = args.positional()[2];
  options.properties = args.properties();
  return options;
}

class Progress {
 public:
  Progress(GstElement* pipeline, std::string name, bool quiet)
      : pipeline_(pipeline), name_(std::move(name)), enabled_(!quiet), tty_(isatty(STDERR_FILENO)) {}

  void update(guint64 frames) {
    if (!enabled_) return;
    gint64 position = 0, duration = 0;
    std::string percent = "?";
    if (gst_element_query_position(pipeline_, GST_FORMAT_TIME, &position) &&
        gst_element_query_duration(pipeline_, GST_FORMAT_TIME, &duration) && duration > 0)
      percent = std::to_string(100 * position / duration);
    // On a terminal one line that keeps changing; in a log one line per update.
    std::fprintf(stderr, tty_ ? "\r%s: %s%% (%llu frames)" : "%s: %s%% (%llu frames)\n", name_.c_str(),
                 percent.c_str(), static_cast<unsigned long long>(frames));
  }

  void done(guint64 frames, bool complete) {
    if (enabled_)
      std::fprintf(stderr, "%s%s: %s, %llu frames\n", tty_ ? "\r" : "", name_.c_str(),
                   complete ? "done" : "interrupted", static_cast<unsigned long long>(frames));
  }

 private:
  GstElement* pipeline_;
  std::string name_;
  bool enabled_, tty_;
};

// The signal that asked for a stop, 0 before one did.
volatile std::sig_atomic_t interrupted = 0;

// Ctrl-C and SIGTERM (what scancel, systemd and preemption send) both finish the output so far; a
// second signal kills.
void on_stop_signal(int signal) {
  interrupted = signal;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

// Runs until EOS; false (with a message printed) on an error. A stop signal sends EOS, so that the
// MP4 written so far is finished and playable.
bool run(GstElement* pipeline, GstElement* overlay, JsonLinesWriter& results, Progress& progress, DecodeCheck& check,
         guint64& frames) {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  GstBus* bus = gst_element_get_bus(pipeline);
  bool ok = false, finished = false, eos_sent = false;
  while (!finished) {
    GstMessage* message = gst_bus_timed_pop(bus, GST_SECOND / 2);
    if (interrupted && !eos_sent) {
      std::fprintf(stderr, "\nscorecam-annotate: interrupted, finishing the output file\n");
      gst_element_send_event(pipeline, gst_event_new_eos());
      eos_sent = true;
    }
    if (!message) {
      progress.update(frames);
      continue;
    }
    check.on_message(message);
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ELEMENT:
        if (const auto result = scorecam::app::frame_result(message, overlay)) {
          try {
            results.write(scorecam::publish::to_json_line(scorecam::app::frame_record(*result, frames++)));
          } catch (const PublishError& e) {
            std::fprintf(stderr, "\n%s: %s\n", kProgram, e.what());
            finished = true;
          }
        }
        break;
      case GST_MESSAGE_ERROR:
        std::fprintf(stderr, "\n%s: %s\n", kProgram, scorecam::app::error_text(message).c_str());
        finished = true;
        break;
      case GST_MESSAGE_EOS:
        ok = finished = true;
        break;
      default:
        break;
    }
    gst_message_unref(message);
  }
  gst_object_unref(bus);
  return ok;
}

// Moves the finished files to their final names: the results last, so that a folder run can take
// both names existing as "done".
bool publish(const Options& options) {
  for (const auto& final_name : {options.output, options.results}) {
    if (std::rename(partial_name(final_name).c_str(), final_name.c_str()) != 0) {
      std::fprintf(stderr, "scorecam-annotate: cannot rename %s to %s: %s\n", partial_name(final_name).c_str(),
                   final_name.c_str(), std::strerror(errno));
      return false;
    }
  }
  return true;
}

void remove_partials(const Options& options) {
  std::remove(partial_name(options.output).c_str());
  std::remove(partial_name(options.results).c_str());
}

// A video that decoded short, with --keep-incomplete: both files as NAME.incomplete.EXT, a name
// that no folder run takes for done.
void keep_incomplete(const Options& options) {
  for (const auto& final_name : {options.output, options.results}) {
    const std::string kept = tagged_name(final_name, "incomplete");
    if (std::rename(partial_name(final_name).c_str(), kept.c_str()) != 0)
      std::fprintf(stderr, "%s: cannot rename %s to %s: %s\n", kProgram, partial_name(final_name).c_str(), kept.c_str(),
                   std::strerror(errno));
    else
      std::fprintf(stderr, "%s: kept as %s\n", kProgram, kept.c_str());
  }
}

// The exit status: 0 done, 1 failed or short, 128 + the signal when interrupted.
int annotate(const Options& options) {
  if (!scorecam::app::find_overlay_element(kProgram)) return 1;
  // Locations are set as properties, not through the description, so that any file name works.
  GstElement* pipeline = scorecam::app::launch("filesrc name=src ! decodebin name=decoder ! queue ! videoconvert ! "
                                               "scorecamoverlay name=overlay post-messages=true ! videoconvert ! " +
                                                   options.encoder + " ! mp4mux ! filesink name=sink",
                                               kProgram);
  if (!pipeline) return 1;
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement* overlay = gst_bin_get_by_name(GST_BIN(pipeline), "overlay");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstElement* decoder = gst_bin_get_by_name(GST_BIN(pipeline), "decoder");
  GstPad* frames_in = gst_element_get_static_pad(overlay, "sink");
  g_object_set(src, "location", options.input.c_str(), nullptr);
  g_object_set(sink, "location", partial_name(options.output).c_str(), nullptr);

  int status = 1;
  std::unique_ptr<JsonLinesWriter> results;
  try {
    results = std::make_unique<JsonLinesWriter>(partial_name(options.results));
  } catch (const PublishError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
  }
  guint64 frames = 0;
  bool short_video = false;
  DecodeCheck check(decoder, frames_in);
  if (results && scorecam::app::set_overlay_properties(overlay, options.properties, kProgram)) {
    gchar* name = g_path_get_basename(options.input.c_str());
    Progress progress(pipeline, name, options.quiet);
    g_free(name);
    // A failed state change has posted its error on the bus, where run() reports it.
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    if (run(pipeline, overlay, *results, progress, check, frames)) {
      status = interrupted ? 128 + interrupted : 0;  // what a shell reports for a signal, so that scripts stop too
      const auto shortfall = interrupted ? std::optional<std::string>() : check.shortfall();
      if (check.frames() == 0 && !interrupted) {
        std::fprintf(stderr, "scorecam-annotate: %s: no frame was decoded (an empty, truncated or unsupported "
                     "video)\n", options.input.c_str());
        status = 1;
      } else if (shortfall) {
        std::fprintf(stderr, "scorecam-annotate: %s: incomplete: %s\n", options.input.c_str(), shortfall->c_str());
        status = 1;
        short_video = true;
      } else {
        progress.done(frames, !interrupted);
      }
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  results.reset();  // closed before it is renamed or removed
  if (status == 0 && !publish(options)) status = 1;
  if (status == 1 && short_video && options.keep_incomplete) {
    keep_incomplete(options);
  } else if (status == 1) {
    remove_partials(options);
  }
  if (status > 128) {
    std::fprintf(stderr, "scorecam-annotate: the frames so far are in %s and %s\n",
                 partial_name(options.output).c_str(), partial_name(options.results).c_str());
  }
  gst_object_unref(src);
  gst_object_unref(overlay);
  gst_object_unref(sink);
  gst_object_unref(decoder);
  gst_object_unref(frames_in);
  gst_object_unref(pipeline);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, syntax()}, argc, argv,
                                           [](const auto& args) { return annotate(read_options(args)); });
}
