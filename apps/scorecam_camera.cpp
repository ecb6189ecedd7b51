// scorecam-camera: keeps an RTSP camera explained and recorded across outages.
//
// Each connection is one pipeline: rtspsrc ! decodebin ! scorecamoverlay (async) ! encoder !
// splitmuxsink. The recording is cut into segments of about --segment-seconds; a segment is written
// as PREFIX-NNNNNN.partial.mp4 and renamed to PREFIX-NNNNNN.mp4, beside PREFIX-NNNNNN.jsonl (one JSON
// object per frame of that segment), once it is finished. So a file under its final name always
// plays, and a crash loses at most the segment in progress.
//
// When the camera goes away (an error of the source, the end of its stream, or no frame for
// --stall-seconds) the segment in progress is finished and the runner connects again after a delay
// that doubles from --retry-min up to --retry-max, and starts again from --retry-min once frames
// flow. Every loss and reconnection is logged with its count. Ctrl-C or SIGTERM finishes the
// segment in progress and exits with status 0. An error of the element or of the recording (a bad
// model, a full disk) is not the camera's and ends the run with status 1.
//
// The camera's password never reaches the log: every line goes through redact_credentials, and
// rtspsrc gets the user and password as properties, so that its messages hold no password either.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gst/gst.h>

#include "overlay_app.h"
#include "rtsp_reserver.h"
#include "serve_options.h"
#include "url_credentials.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/json_lines_writer.h"

namespace {

constexpr const char* kProgram = "scorecam-camera";
constexpr const char* kUsage =
    "usage: scorecam-camera [OPTIONS] URL [OUTPUT_DIR] [PROPERTY=VALUE ...]\n"
    "  Explains the RTSP camera at URL with scorecamoverlay (async=true) and records it into OUTPUT_DIR\n"
    "  as segments PREFIX-NNNNNN.mp4, each with PREFIX-NNNNNN.jsonl (one JSON object per frame); without\n"
    "  OUTPUT_DIR it only shows it (--display). Reconnects when the camera goes away. PROPERTY=VALUE\n"
    "  pairs set scorecamoverlay properties.\n"
    "  --segment-seconds S  length of a segment (default 60)\n"
    "  --prefix NAME        segment file names (default segment); numbering goes on after existing files\n"
    "  --encoder DESC       gst-launch description of the encoder (default: x264enc speed-preset=veryfast\n"
    "                       tune=zerolatency)\n"
    "  --display SINK       also show the explained video, e.g. autovideosink\n"
    "  --serve [ADDR:]PORT  also serve the explained video to RTSP clients at rtsp://ADDR:PORT/scorecam\n"
    "                       (default address 127.0.0.1: this machine only; 0.0.0.0: every interface;\n"
    "                       port 0: any free one, logged). Another address than loopback needs\n"
    "                       --serve-user, or --serve-anonymous\n"
    "  --serve-user NAME    clients log in as NAME (digest authentication); its password is the first\n"
    "                       line of --serve-password-file FILE, else the environment variable\n"
    "                       SCORECAM_SERVE_PASSWORD (never on the command line)\n"
    "  --serve-anonymous    serve a non-loopback address without a password: anyone who reaches it\n"
    "                       watches\n"
    "  --serve-tls-cert FILE, --serve-tls-key FILE\n"
    "                       serve over TLS (rtsps://, RTP inside the TLS connection) with this PEM\n"
    "                       certificate and key\n"
    "  --tcp                RTP over the RTSP connection (through firewalls and NAT)\n"
    "  --latency MS         rtspsrc jitter buffer (default 200)\n"
    "  --stall-seconds S    no frame for this long counts as the camera lost (default 20)\n"
    "  --retry-min S        first delay before reconnecting (default 1)\n"
    "  --retry-max S        longest delay before reconnecting (default 30)\n"
    "  --max-reconnects N   give up (status 1) after N reconnections in a row without a frame (default 0:\n"
    "                       never)\n";

struct Options {
  std::string url, directory, prefix = "segment";
  scorecam::app::SplitUrl camera;  // the URL without its credentials, and them, for rtspsrc
  std::string encoder = "x264enc speed-preset=veryfast tune=zerolatency";
  std::string display;
  std::optional<scorecam::app::ServeOptions> serve;
  bool tcp = false;
  double segment_seconds = 60, stall_seconds = 20, retry_min = 1, retry_max = 30;
  int latency_ms = 200;
  long max_reconnects = 0;
  std::vector<scorecam::cli::Property> properties;
};

// URL and OUTPUT_DIR, then properties: words with '=' are properties wherever they stand.
scorecam::cli::Syntax syntax() {
  scorecam::cli::Syntax syntax{{"segment-seconds", "prefix", "encoder", "display", "latency", "stall-seconds",
                                "retry-min", "retry-max", "max-reconnects"},
                               {"tcp"}};
  scorecam::app::add_serve_options(syntax);
  syntax.properties = true;
  syntax.max_positionals = 2;
  return syntax;
}

Options read_options(const scorecam::cli::CommandLine& args) {
  using scorecam::cli::Range;
  using scorecam::cli::UsageError;
  Options options;
  if (args.positional().empty()) throw UsageError("give the camera's URL");
  options.url = args.positional()[0];
  if (args.positional().size() > 1) options.directory = args.positional()[1];
  options.prefix = args.text("prefix", options.prefix);
  options.encoder = args.text("encoder", options.encoder);
  options.display = args.text("display");
  options.serve = scorecam::app::read_serve_options(args);
  options.tcp = args.has("tcp");
  options.segment_seconds = args.number("segment-seconds", options.segment_seconds, Range::above(0));
  options.stall_seconds = args.number("stall-seconds", options.stall_seconds, Range::above(0));
  options.retry_min = args.number("retry-min", options.retry_min, Range::above(0));
  options.retry_max = std::max(args.number("retry-max", options.retry_max, Range::above(0)), options.retry_min);
  options.latency_ms = args.integer("latency", options.latency_ms, Range::above(0));
  options.max_reconnects = args.integer("max-reconnects", options.max_reconnects, Range::at_least(0));
  options.properties = args.properties();
  const auto camera = scorecam::app::split_credentials(options.url);
  if (!camera || (options.url.rfind("rtsp://", 0) != 0 && options.url.rfind("rtsps://", 0) != 0))
    throw UsageError("'" + scorecam::app::redact_credentials(options.url) + "' is not an rtsp:// URL");
  options.camera = *camera;
  if (options.directory.empty() && options.display.empty() && !options.serve)
    throw UsageError("give an OUTPUT_DIR to record into, --display or --serve to watch, or several");
  return options;
}

// "2026-11-29 16:40:02 scorecam-camera: " before each line, as a service's log wants; any URL's
// password redacted.
void log(const char* format, ...) __attribute__((format(printf, 1, 2)));
void log(const char* format, ...) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  va_list args;
  va_start(args, format);
  gchar* line = g_strdup_vprintf(format, args);
  va_end(args);
  std::fprintf(stderr, "%s %s: %s\n", stamp, kProgram, scorecam::app::redact_credentials(line).c_str());
  g_free(line);
}

// Ctrl-C and SIGTERM ask for a stop; the handler also wakes a wait between connections through a
// pipe. A second signal kills at once.
volatile std::sig_atomic_t stop_requested = 0;
int wake_pipe[2] = {-1, -1};

void on_stop_signal(int signal) {
  stop_requested = 1;
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(wake_pipe[1], &byte, 1);
  std::signal(signal, SIG_DFL);
}

// Waits `seconds` or until a stop is asked for; true if it was.
bool wait_or_stop(double seconds) {
  pollfd wake{wake_pipe[0], POLLIN, 0};
  poll(&wake, 1, static_cast<int>(seconds * 1000));
  return stop_requested;
}

// The segment files: numbered on from the highest number already in the directory, so that a
// restarted runner never overwrites a recording.
class SegmentNames {
 public:
  SegmentNames(std::string directory, std::string prefix)
      : directory_(std::move(directory)), prefix_(std::move(prefix)) {
    if (directory_.empty()) return;  // nothing is recorded
    const std::string start = prefix_ + "-";
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(start, 0) != 0) continue;
      const std::string rest = name.substr(start.size());
      const size_t digits = rest.find_first_not_of("0123456789");
      if (digits > 0 && digits != std::string::npos && rest[digits] == '.')
        next_ = std::max(next_, std::stol(rest.substr(0, digits)) + 1);
    }
  }

  // The partial video name of the next segment.
  std::string next_partial_video() { return partial_video(next_++); }

  // A name handed out last that was never written to (the muxer names a file before it has a
  // frame for it, also when a connection fails): its number is the next one's again, so that the
  // numbers of the recordings have no gaps.
  void give_back(const std::string& partial) {
    if (next_ > 1 && partial == partial_video(next_ - 1)) --next_;
  }

 private:
  std::string partial_video(long number) const {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%06ld", number);
    return scorecam::app::partial_name(directory_ + "/" + prefix_ + "-" + digits + ".mp4");
  }

  std::string directory_, prefix_;
  long next_ = 1;
};

// "DIR/segment-000003.partial.mp4" -> "DIR/segment-000003" + EXT.
std::string final_name(const std::string& partial_video, const std::string& extension) {
  return partial_video.substr(0, partial_video.size() - std::string(".partial.mp4").size()) + extension;
}

// The frames of one connection and their results, held until the segment they fall in is
// finished. Every frame that reaches the element gets a record in its segment, numbered as the
// segment's MP4 decodes it and timed from that file's start, whether the element explained it or
// not (async mode: the first frames pass before the first heatmap): so record N is frame N of the
// MP4 beside it. A frame's result is posted when the element is done with it, before the encoder
// and the muxer have it, so it is here before the segment that holds the frame is finished.
class PendingResults {
 public:
  // A frame entering the element, by its running time; called by the streaming thread. One without
  // a time cannot be placed in a segment (nor muxed).
  void add_frame(GstClockTime running_time) {
    if (!GST_CLOCK_TIME_IS_VALID(running_time)) return;
    std::lock_guard<std::mutex> lock(frames_mutex_);
    frames_.push_back(running_time);
  }

  // The element's result for the frame at `result.running_time`.
  void add_result(const scorecam_gst::ResultMessage& result) {
    if (!GST_CLOCK_TIME_IS_VALID(result.running_time)) return;
    auto record = scorecam::app::frame_record(result, 0);
    // The source frame's time on the same running-time axis as the frames, for timing it from the
    // segment's start too.
    const auto pts = scorecam_gst::seconds_of(result.timestamp), running = scorecam_gst::seconds_of(result.running_time);
    auto& source = record.explanation->source_pts;
    source = source && pts && running ? std::optional<double>(*source + *running - *pts) : std::nullopt;
    results_[result.running_time] = std::move(record);
  }

  // Writes, as RESULTS.partial.jsonl then renamed, the records of the frames from `start` (the
  // running time of the segment's first frame) until `end` (all when none), and forgets them.
  // Returns how many, or -1.
  long write_until(GstClockTime start, GstClockTime end, const std::string& results, int connection) {
    const std::string partial = scorecam::app::partial_name(results);
    const auto ends_before = [&](GstClockTime time) { return !GST_CLOCK_TIME_IS_VALID(end) || time < end; };
    long frames = 0;
    try {
      scorecam::publish::JsonLinesWriter out(partial);
      for (GstClockTime time; next_frame(ends_before, time);) {
        const auto result = results_.find(time);
        scorecam::publish::FrameRecord record;
        if (result != results_.end()) record = std::move(result->second);
        if (time < start) continue;  // before the segment's first keyframe: in no file
        record.frame = frames++;
        record.pts = static_cast<double>(time - start) / GST_SECOND;
        if (record.explanation && record.explanation->source_pts)
          *record.explanation->source_pts -= static_cast<double>(start) / GST_SECOND;
        record.connection = connection;
        out.write(scorecam::publish::to_json_line(record));
      }
      results_.erase(results_.begin(), GST_CLOCK_TIME_IS_VALID(end) ? results_.lower_bound(end) : results_.end());
    } catch (const scorecam::publish::PublishError& e) {
      log("%s", e.what());
      return -1;
    }
    if (std::rename(partial.c_str(), results.c_str()) != 0) {
      log("cannot rename %s to %s: %s", partial.c_str(), results.c_str(), std::strerror(errno));
      return -1;
    }
    return frames;
  }

 private:
  // Takes the oldest frame if `wanted` holds for its running time.
  template <typename Wanted>
  bool next_frame(const Wanted& wanted, GstClockTime& time) {
    std::lock_guard<std::mutex> lock(frames_mutex_);
    if (frames_.empty() || !wanted(frames_.front())) return false;
    time = frames_.front();
    frames_.pop_front();
    return true;
  }

  std::mutex frames_mutex_;
  std::deque<GstClockTime> frames_;
  std::map<GstClockTime, scorecam::publish::FrameRecord> results_;
};

enum class Outcome { kStopped, kLost, kFailed };

// One connection to the camera: its pipeline, and what has been recorded through it.
class Connection {
 public:
  // `served`: the branch that feeds an RtspReserver, or empty.
  Connection(const Options& options, SegmentNames& names, int number, std::string served)
      : options_(options), names_(names), number_(number), served_(std::move(served)) {}
  ~Connection() {
    if (!pipeline_) return;
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    for (GstElement* element : {overlay_, entry_, source_, decoder_, segments_})
      if (element) gst_object_unref(element);
    if (bus_) gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }

  // Builds the pipeline; false (with a message) when it cannot be built.
  bool build() {
    std::string description = "rtspsrc name=source ! decodebin name=decoder ! queue name=entry ! videoconvert ! "
                              "scorecamoverlay name=overlay async=true post-messages=true ! ";
    std::vector<std::string> outputs;
    if (!options_.display.empty()) outputs.push_back("videoconvert ! " + options_.display);
    if (!options_.directory.empty())
      outputs.push_back("videoconvert ! " + options_.encoder + " ! splitmuxsink name=segments send-keyframe-requests=true");
    if (!served_.empty()) outputs.push_back(served_);
    if (outputs.size() == 1) {
      description += outputs.front();
    } else {
      description += "tee name=split";
      for (const auto& output : outputs) description += " split. ! queue ! " + output;
    }
    pipeline_ = scorecam::app::launch(description, kProgram);
    if (!pipeline_) return false;
    bus_ = gst_element_get_bus(pipeline_);
    source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "source");
    decoder_ = gst_bin_get_by_name(GST_BIN(pipeline_), "decoder");
    entry_ = gst_bin_get_by_name(GST_BIN(pipeline_), "entry");
    overlay_ = gst_bin_get_by_name(GST_BIN(pipeline_), "overlay");
    GstPad* frames_in = gst_element_get_static_pad(overlay_, "sink");
    gst_pad_add_probe(frames_in, GST_PAD_PROBE_TYPE_BUFFER, &Connection::on_frame, this, nullptr);
    gst_object_unref(frames_in);
    // Set as properties, not in the description, so that any URL and file name works.
    const auto& camera = options_.camera;
    g_object_set(source_, "location", camera.location.c_str(), "latency", options_.latency_ms, nullptr);
    if (!camera.user.empty())
      g_object_set(source_, "user-id", camera.user.c_str(), "user-pw", camera.password.c_str(), nullptr);
    if (options_.tcp) gst_util_set_object_arg(G_OBJECT(source_), "protocols", "tcp");
    segments_ = gst_bin_get_by_name(GST_BIN(pipeline_), "segments");
    if (segments_) {
      g_object_set(segments_, "max-size-time", static_cast<guint64>(options_.segment_seconds * GST_SECOND), nullptr);
      g_signal_connect(segments_, "format-location", G_CALLBACK(&Connection::on_format_location), this);
      // The muxer's own end of stream tells when its last segment is written, also while the
      // camera side (which may hold sinks of its own) never ends.
      g_object_set(pipeline_, "message-forward", TRUE, nullptr);
    }
    return scorecam::app::set_overlay_properties(overlay_, options_.properties, kProgram);
  }

  // Runs until the camera is lost, a stop is asked for or something fails; then finishes the
  // segment in progress.
  Outcome run() {
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    last_frame_ns_ = Clock::now().time_since_epoch().count();  // loading the model is no stall
    Outcome outcome = watch();
    if (!finish_segments() && outcome != Outcome::kStopped) outcome = Outcome::kFailed;
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    remove_unopened();
    return outcome;
  }

  const std::string& reason() const { return reason_; }
  long frames() const { return frames_.load(); }
  long segments() const { return finished_segments_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Every frame that reaches the element counts as the camera alive, heatmap or not (in async
  // mode the first ones pass before the model has explained any), and has a record. Called by the
  // streaming thread.
  static GstPadProbeReturn on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<Connection*>(data);
    self->last_frame_ns_ = Clock::now().time_since_epoch().count();
    ++self->frames_;
    GstEvent* event = self->segments_ ? gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0) : nullptr;
    if (event) {
      const GstSegment* segment = nullptr;
      gst_event_parse_segment(event, &segment);
      // As the element times its results (its base transform's segment is this one).
      self->results_.add_frame(
          gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info))));
      gst_event_unref(event);
    }
    return GST_PAD_PROBE_OK;
  }

  // Called by the muxer's streaming thread.
  static gchar* on_format_location(GstElement*, guint, gpointer data) {
    auto* self = static_cast<Connection*>(data);
    std::lock_guard<std::mutex> lock(self->named_mutex_);
    self->named_.push_back(self->names_.next_partial_video());
    return g_strdup(self->named_.back().c_str());
  }

  // Whether the error is the camera's (its connection or its stream), which reconnecting may cure.
  bool from_camera(GstMessage* message) const {
    GstObject* origin = GST_MESSAGE_SRC(message);
    for (GstElement* element : {source_, decoder_})
      if (origin == GST_OBJECT(element) || gst_object_has_as_ancestor(origin, GST_OBJECT(element))) return true;
    return false;
  }

  Outcome watch() {
    for (;;) {
      if (stop_requested) return Outcome::kStopped;
      if (frames_ > 0 && !announced_) {
        log("connection %d: frames are coming in", number_);
        announced_ = true;
      }
      const double quiet =
          std::chrono::duration<double>(Clock::now() - Clock::time_point(Clock::duration(last_frame_ns_))).count();
      if (quiet > options_.stall_seconds) {
        reason_ = "no frame for " + std::to_string(static_cast<int>(quiet)) + " s";
        return Outcome::kLost;
      }
      GstMessage* message = gst_bus_timed_pop(bus_, GST_SECOND / 10);
      if (!message) continue;
      std::optional<Outcome> outcome = handle(message);
      gst_message_unref(message);
      if (outcome) return *outcome;
    }
  }

  std::optional<Outcome> handle(GstMessage* message) {
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ELEMENT:
        on_element_message(message);
        return std::nullopt;
      case GST_MESSAGE_ERROR:
        // The camera's errors recur at every outage: one line each. Others end the run: all details.
        reason_ = scorecam::app::error_text(message, !from_camera(message));
        return from_camera(message) ? Outcome::kLost : Outcome::kFailed;
      case GST_MESSAGE_EOS:
        recording_ended_ = true;
        reason_ = "the camera ended the stream";
        return Outcome::kLost;
      default:
        return std::nullopt;
    }
  }

  void on_element_message(GstMessage* message) {
    const GstStructure* s = gst_message_get_structure(message);
    if (gst_structure_has_name(s, "GstBinForwarded")) {
      GstMessage* forwarded = nullptr;
      gst_structure_get(s, "message", GST_TYPE_MESSAGE, &forwarded, nullptr);
      if (GST_MESSAGE_TYPE(forwarded) == GST_MESSAGE_EOS && GST_MESSAGE_SRC(forwarded) == GST_OBJECT(segments_))
        recording_ended_ = true;
      gst_message_unref(forwarded);
      return;
    }
    if (const auto result = scorecam::app::frame_result(message, overlay_)) {
      if (segments_) results_.add_result(*result);  // records are kept only for a recording
    } else if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
      ++open_segments_;
      opened_.push_back(gst_structure_get_string(s, "location"));
      // The previous segment ends where this one starts (a closing message's own time, at the end
      // of a stream, can leave out the last frame).
      guint64 start = GST_CLOCK_TIME_NONE;
      gst_structure_get_uint64(s, "running-time", &start);
      if (!closed_.empty()) publish(std::exchange(closed_, ""), start);
      segment_start_ = start;
    } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
      --open_segments_;
      closed_ = gst_structure_get_string(s, "location");
    }
  }

  // A finished segment: its results are written, then both files get their final names.
  void publish(const std::string& partial_video, GstClockTime end) {
    const std::string video = final_name(partial_video, ".mp4");
    const long frames = results_.write_until(segment_start_, end, final_name(partial_video, ".jsonl"), number_);
    if (frames < 0) {
      publish_failed_ = true;
    } else if (std::rename(partial_video.c_str(), video.c_str()) != 0) {
      log("cannot rename %s to %s: %s", partial_video.c_str(), video.c_str(), std::strerror(errno));
      publish_failed_ = true;
    } else {
      ++finished_segments_;
      log("%s: %ld frame%s", video.c_str(), frames, frames == 1 ? "" : "s");
    }
  }

  // Ends the stream at the entry of the element (the camera side may be gone or still pushing)
  // and waits until the muxer has written the frames that passed the element; a segment it could
  // not finish stays under its partial name. False if a finished one could not be written.
  bool finish_segments() {
    GstPad* entry = gst_element_get_static_pad(entry_, "sink");
    gst_pad_send_event(entry, gst_event_new_eos());
    gst_object_unref(entry);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (segments_ && frames_ > 0 && !recording_ended_ && Clock::now() < deadline) {
      GstMessage* message = gst_bus_timed_pop(bus_, GST_SECOND / 10);
      if (!message) continue;
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) on_element_message(message);
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR && !from_camera(message)) {
        log("cannot finish the segment in progress: %s", scorecam::app::error_text(message).c_str());
        gst_message_unref(message);
        return false;
      }
      gst_message_unref(message);
    }
    if (!closed_.empty()) publish(std::exchange(closed_, ""), GST_CLOCK_TIME_NONE);
    if (open_segments_ > 0 || (segments_ && frames_ > 0 && !recording_ended_))
      log("the recording did not finish within 10 s; the segment in progress stays a .partial.mp4");
    return !publish_failed_;
  }

  // The muxer names (and creates) a segment's file before it has a frame for it, also when it
  // stops; such a file stays empty, and it is no recording.
  void remove_unopened() {
    std::lock_guard<std::mutex> lock(named_mutex_);
    // Newest first, so that every number given back is the last one handed out.
    for (auto name = named_.rbegin(); name != named_.rend(); ++name) {
      if (std::find(opened_.begin(), opened_.end(), *name) != opened_.end()) continue;
      std::remove(name->c_str());
      names_.give_back(*name);
    }
  }

  const Options& options_;
  SegmentNames& names_;
  const int number_;
  const std::string served_;
  GstElement *pipeline_ = nullptr, *source_ = nullptr, *decoder_ = nullptr, *entry_ = nullptr, *overlay_ = nullptr,
             *segments_ = nullptr;
  GstBus* bus_ = nullptr;
  PendingResults results_;
  std::atomic<Clock::rep> last_frame_ns_{Clock::now().time_since_epoch().count()};
  std::atomic<long> frames_{0};
  bool announced_ = false;
  std::string reason_;
  long finished_segments_ = 0;
  int open_segments_ = 0;
  std::mutex named_mutex_;
  std::vector<std::string> named_;   // every file name handed to the muxer
  std::vector<std::string> opened_;  // those it wrote a segment into
  std::string closed_;               // the segment closed last, until the next one's start is known
  GstClockTime segment_start_ = 0;   // the running time of the first frame of the segment opened last
  bool recording_ended_ = false, publish_failed_ = false;
};

// Connects again and again until stopped, failed or out of reconnections; the exit status.
int run(const Options& options) {
  std::unique_ptr<scorecam::app::RtspReserver> server;
  if (options.serve) {
    server = std::make_unique<scorecam::app::RtspReserver>(
        options.serve->address, options.serve->port, "/scorecam",
        "x264enc speed-preset=veryfast tune=zerolatency key-int-max=30", options.serve->access);
    if (!server->ok()) {
      log("cannot serve RTSP: %s", server->error().c_str());
      return 1;
    }
    log("serving the explained video on %s (%s)", server->url().c_str(),
        scorecam::app::describe(options.serve->access).c_str());
  }
  SegmentNames names(options.directory, options.prefix);
  double delay = options.retry_min;
  long segments = 0, frames = 0, reconnects = 0, attempts_without_frames = 0;
  for (int number = 1;; ++number) {
    Connection connection(options, names, number, server ? server->sink_description() : "");
    if (!connection.build()) return 1;
    log("connection %d: connecting to %s", number, options.url.c_str());
    const Outcome outcome = connection.run();
    segments += connection.segments();
    frames += connection.frames();
    if (outcome == Outcome::kFailed) {
      log("connection %d failed: %s", number, connection.reason().c_str());
      return 1;
    }
    if (outcome == Outcome::kStopped) break;
    if (connection.frames() > 0) {
      delay = options.retry_min;  // the camera was back: start the backoff again
      attempts_without_frames = 0;
    }
    if (options.max_reconnects > 0 && ++attempts_without_frames > options.max_reconnects) {
      log("connection %d lost: %s; giving up after %ld reconnections without a frame", number,
          connection.reason().c_str(), options.max_reconnects);
      return 1;
    }
    log("connection %d lost: %s; reconnecting in %.1f s (reconnection %ld)", number, connection.reason().c_str(),
        delay, ++reconnects);
    if (wait_or_stop(delay)) break;
    delay = std::min(2 * delay, options.retry_max);
  }
  log("stopped: %ld segments, %ld frames, %ld reconnections", segments, frames, reconnects);
  return 0;
}

// Prepares the output directory, the element and the signals, then runs; the exit status.
int start(const Options& options) {
  std::error_code error;
  if (!options.directory.empty()) std::filesystem::create_directories(options.directory, error);
  if (!options.directory.empty() && (error || !std::filesystem::is_directory(options.directory))) {
    std::fprintf(stderr, "%s: cannot use %s as the output directory: %s\n", kProgram, options.directory.c_str(),
                 error ? error.message().c_str() : "not a directory");
    return 1;
  }
  if (!scorecam::app::find_overlay_element(kProgram)) return 1;
  if (pipe(wake_pipe) != 0) return 1;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, syntax()}, argc, argv,
                                           [](const auto& args) { return start(read_options(args)); });
}
