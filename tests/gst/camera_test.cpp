// scorecam-camera against an RTSP server the test starts on 127.0.0.1, stops mid-stream (a camera
// that reboots) and starts again on the same port: recording resumes, and every segment it closed
// decodes, with one JSON line per frame it holds.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gst/gst.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scorecam/publish/frame_record.h"
#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/test_models.h"
#include "support/wait.h"

using scorecam_test::camera_stream;
using scorecam_test::ChildProcess;
using scorecam_test::count_frames;
using scorecam_test::encoder;
using scorecam_test::LocalRtspServer;
using scorecam_test::read_file;
using scorecam_test::run_command;
using scorecam_test::TempDir;
using scorecam_test::test_model;
using namespace std::chrono_literals;

namespace {

const std::string kCamera = SCORECAM_BUILD_DIR "/apps/scorecam-camera";

// scorecam-camera run by the test, its log in a file.
class CameraProcess {
 public:
  CameraProcess(std::vector<std::string> args, std::string log)
      : log_(std::move(log)), process_(with_program(std::move(args)), log_) {}

  std::string log() const { return read_file(log_); }
  bool running() { return process_.running(); }
  int interrupt() { return process_.stop(SIGINT); }  // Ctrl-C: its exit status (-1 if not within 30 s)

 private:
  static std::vector<std::string> with_program(std::vector<std::string> args) {
    args.insert(args.begin(), kCamera);
    return args;
  }

  std::string log_;
  ChildProcess process_;
};

// Until `done` holds (files appearing, lines in its log), for at most `timeout`: false then, or
// as soon as the camera process is gone.
bool wait_for(CameraProcess& camera, const std::function<bool()>& done, std::chrono::seconds timeout) {
  return scorecam_test::wait_until([&] { return done() || !camera.running(); }, timeout,
                                   std::chrono::milliseconds(100)) &&
         done();
}

struct Segment {
  std::string video, results;
  bool partial = false;
};

std::vector<Segment> segments(const std::string& directory) {
  std::vector<Segment> found;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".mp4") continue;
    Segment segment{path, path.substr(0, path.size() - 4) + ".jsonl", false};
    segment.partial = path.find(".partial.") != std::string::npos;
    found.push_back(segment);
  }
  std::sort(found.begin(), found.end(), [](const Segment& a, const Segment& b) { return a.video < b.video; });
  return found;
}

std::vector<std::string> lines_of(const std::string& results) {
  std::vector<std::string> all;
  std::ifstream in(results);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  return all;
}

std::vector<nlohmann::json> records(const std::string& results) {
  std::vector<nlohmann::json> all;
  for (const auto& line : lines_of(results)) all.push_back(nlohmann::json::parse(line));
  return all;
}

// The line publish::to_json_line() writes for the record that `line` holds: the same line when the
// camera wrote it through the one record (docs/element.md, "Publishing results").
std::string as_written_by_the_record(const std::string& line) {
  const auto json = nlohmann::json::parse(line);
  const auto seconds = [](const nlohmann::json& value) {
    return value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
  };
  scorecam::publish::Explanation e;
  e.valid = json.at("valid").get<bool>();
  e.class_id = json.at("class_id").get<int>();
  e.label = json.at("label").get<std::string>();
  if (e.valid) e.confidence = json.at("confidence").get<double>();
  e.target_class = json.at("target_class").get<int>();
  e.source_pts = seconds(json.at("source_pts"));
  e.refreshed = json.at("refreshed").get<bool>();
  e.forward_passes = json.at("forward_passes").get<int>();
  e.refresh_period = json.at("refresh_period").get<int>();
  scorecam::publish::FrameRecord record{std::nullopt, json.at("frame").get<uint64_t>(), seconds(json.at("pts")), e};
  record.connection = json.at("connection").get<int>();
  return scorecam::publish::to_json_line(record);
}

// Finished segments (both files under their final names) recorded through `connection`.
int finished_segments_of(const std::string& directory, int connection) {
  int count = 0;
  for (const auto& segment : segments(directory)) {
    if (segment.partial || !std::filesystem::exists(segment.results)) continue;
    const auto lines = records(segment.results);
    if (!lines.empty() && lines.front().at("connection") == connection) ++count;
  }
  return count;
}

TEST(Camera, RecordingResumesWhenTheCameraComesBackAndEveryClosedSegmentDecodes) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  auto server = std::make_unique<LocalRtspServer>(camera_stream());
  ASSERT_TRUE(server->ok());
  const int port = server->port();
  TempDir out, logs;
  // Sync mode, so that every frame has its result and a segment's lines match its frames exactly.
  CameraProcess camera({"--tcp", "--segment-seconds", "1", "--retry-min", "0.2", "--retry-max", "0.5",
                        "--stall-seconds", "5", "--encoder", encoder() + " tune=zerolatency", server->url(),
                        out.path(), "model-location=" + test_model("tiny_rgb.pt"), "async=false"},
                       logs.file("camera.log"));
  ASSERT_TRUE(wait_for(camera, [&] { return finished_segments_of(out.path(), 1) >= 2; }, 60s))
      << "not 2 finished segments within 60 s:\n" << camera.log();

  server.reset();  // the camera reboots
  ASSERT_TRUE(wait_for(camera, [&] { return camera.log().find("(reconnection 3)") != std::string::npos; }, 30s))
      << "not 3 reconnections within 30 s:\n" << camera.log();
  // The segment in progress when the camera went away was finished, not left partial.
  for (const auto& segment : segments(out.path())) EXPECT_FALSE(segment.partial) << segment.video;
  const int before_outage = finished_segments_of(out.path(), 1);

  server = std::make_unique<LocalRtspServer>(camera_stream(), port);
  ASSERT_TRUE(server->ok()) << "port " << port << " could not be bound again";
  ASSERT_TRUE(wait_for(camera, [&] {
    for (int connection = 2; connection < 40; ++connection)
      if (finished_segments_of(out.path(), connection) >= 2) return true;
    return false;
  }, 60s)) << "not 2 finished segments of one connection within 60 s of the camera's return:\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();

  const std::string log = camera.log();
  EXPECT_NE(log.find("connection 1 lost"), std::string::npos) << log;
  EXPECT_NE(log.find("reconnecting in 0.2 s (reconnection 1)"), std::string::npos) << log;
  EXPECT_NE(log.find("reconnecting in 0.5 s"), std::string::npos) << log;  // the backoff grew to its bound
  EXPECT_NE(log.find("stopped: "), std::string::npos) << log;
  EXPECT_EQ(finished_segments_of(out.path(), 1), before_outage);
  const auto all = segments(out.path());
  ASSERT_GE(all.size(), 4u);
  for (const auto& segment : all) {
    EXPECT_FALSE(segment.partial) << segment.video;
    ASSERT_TRUE(std::filesystem::exists(segment.results)) << segment.video;
    const auto lines = records(segment.results);
    const int frames = count_frames(segment.video);
    EXPECT_GT(frames, 0) << segment.video;
    EXPECT_EQ(static_cast<int>(lines.size()), frames) << segment.video;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i].at("frame"), i) << segment.results;
      EXPECT_TRUE(lines[i].at("valid").get<bool>()) << segment.results;
    }
    for (const auto& line : lines_of(segment.results)) EXPECT_EQ(line, as_written_by_the_record(line));
  }
}

// The presentation times of the frames a video file decodes to, in seconds, in order.
std::vector<double> decoded_times(const std::string& file) {
  GstElement* pipeline = scorecam_test::parse("filesrc name=src ! decodebin ! fakesink name=sink");
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "location", file.c_str(), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  std::vector<double> times;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER,
                    [](GstPad*, GstPadProbeInfo* info, gpointer data) {
                      static_cast<std::vector<double>*>(data)->push_back(
                          static_cast<double>(GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info))) / GST_SECOND);
                      return GST_PAD_PROBE_OK;
                    },
                    &times, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  const auto result = scorecam_test::run_to_eos(pipeline);
  EXPECT_TRUE(result.ok) << file << ": " << result.error;
  gst_object_unref(pipeline);
  return times;
}

// Async mode, as the runner is meant for: the first frames of a connection pass before the first
// heatmap. Record N of a segment is still frame N of the MP4 beside it, timed from that file's
// start, and a frame without a heatmap has a record that says so.
TEST(Camera, RecordNIsFrameNOfItsSegmentsVideo) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir out, logs;
  CameraProcess camera({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency",
                        server.url(), out.path(), "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("camera.log"));
  ASSERT_TRUE(wait_for(camera, [&] { return finished_segments_of(out.path(), 1) >= 3; }, 60s))
      << "not 3 finished segments within 60 s:\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
  int explained = 0, segments_checked = 0;
  for (const auto& segment : segments(out.path())) {
    if (segment.partial) continue;
    const auto lines = records(segment.results);
    const auto times = decoded_times(segment.video);
    ASSERT_FALSE(times.empty()) << segment.video;
    EXPECT_NEAR(times.front(), 0.0, 1e-3) << segment.video << " does not start at 0";
    ASSERT_EQ(lines.size(), times.size()) << segment.results << ": one record per frame of " << segment.video;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i].at("frame"), i) << segment.results;
      EXPECT_NEAR(lines[i].at("pts").get<double>(), times[i], 2e-3) << segment.results << " record " << i;
      if (!lines[i].at("explained").get<bool>()) {
        EXPECT_FALSE(lines[i].contains("class_id")) << lines[i].dump();
        continue;
      }
      ++explained;
      // The map comes from this frame or an earlier one, on the same clock.
      EXPECT_LE(lines[i].at("source_pts").get<double>(), lines[i].at("pts").get<double>() + 1e-6) << lines[i].dump();
    }
    ++segments_checked;
  }
  EXPECT_GE(segments_checked, 3);
  EXPECT_GT(explained, 0);
}

// A camera that takes the connection but sends no frame (here: its stream is too slow even to
// describe) is given up after --stall-seconds and tried again; nothing is recorded.
TEST(Camera, ACameraThatSendsNothingIsReconnected) {
  LocalRtspServer server("( videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=30/1 ! "
                    "identity sleep-time=4000000 ! jpegenc ! rtpjpegpay name=pay0 )");
  ASSERT_TRUE(server.ok());
  TempDir out, logs;
  CameraProcess camera({"--tcp", "--stall-seconds", "1", "--retry-min", "0.2", server.url(), out.path(),
                        "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("camera.log"));
  ASSERT_TRUE(wait_for(camera, [&] { return camera.log().find("(reconnection 2)") != std::string::npos; }, 30s))
      << "not 2 reconnections within 30 s:\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
  const std::string log = camera.log();
  EXPECT_NE(log.find("connection 1 lost: no frame for 1 s; reconnecting in 0.2 s (reconnection 1)"),
            std::string::npos) << log;
  EXPECT_EQ(log.find("frames are coming in"), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::is_empty(out.path())) << log;
}

// Connection attempts that reach the camera but get no frame (it is still booting) record
// nothing, and take no segment number: the first recording is segment 1, and the numbers go on
// without a gap.
TEST(Camera, FailedAttemptsLeaveNoGapInTheSegmentNumbers) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  auto server = std::make_unique<LocalRtspServer>(
      "( videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=30/1 ! "
      "identity sleep-time=4000000 ! jpegenc ! rtpjpegpay name=pay0 )");
  ASSERT_TRUE(server->ok());
  const int port = server->port();
  TempDir out, logs;
  CameraProcess camera({"--tcp", "--segment-seconds", "1", "--stall-seconds", "1", "--retry-min", "0.2",
                        "--retry-max", "0.2", "--encoder", encoder() + " tune=zerolatency", server->url(), out.path(),
                        "model-location=" + test_model("tiny_rgb.pt"), "async=false"},
                       logs.file("camera.log"));
  ASSERT_TRUE(wait_for(camera, [&] { return camera.log().find("(reconnection 2)") != std::string::npos; }, 30s))
      << "not 2 reconnections within 30 s:\n" << camera.log();
  server.reset();
  server = std::make_unique<LocalRtspServer>(camera_stream(), port);
  ASSERT_TRUE(server->ok()) << "port " << port << " could not be bound again";
  ASSERT_TRUE(wait_for(camera, [&] {
    for (int connection = 2; connection < 40; ++connection)
      if (finished_segments_of(out.path(), connection) >= 2) return true;
    return false;
  }, 60s)) << "not 2 finished segments within 60 s of the camera's return:\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
  const auto all = segments(out.path());
  ASSERT_GE(all.size(), 2u);
  for (size_t i = 0; i < all.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "segment-%06zu.mp4", i + 1);
    EXPECT_EQ(std::filesystem::path(all[i].video).filename(), name) << camera.log();
  }
}

TEST(Camera, ExplainsHowToCallIt) {
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {"", "usage: scorecam-camera"},
      {" http://host/stream /tmp/x", "is not an rtsp:// URL"},
      {" rtsp://127.0.0.1:1/x", "give an OUTPUT_DIR to record into, --display or --serve to watch, or several"},
      {" --serve 127.0.0.1:http rtsp://127.0.0.1:1/x", "--serve takes [ADDRESS:]PORT"},
      {" --serve 70000 rtsp://127.0.0.1:1/x", "--serve takes [ADDRESS:]PORT"},
      {" --segment-seconds -3 rtsp://127.0.0.1:1/x /tmp/x", "--segment-seconds needs a number above 0, not '-3'"},
      {" rtsp://127.0.0.1:1/x /dev/null/x", "cannot use /dev/null/x as the output directory"}};
  for (const auto& [args, message] : mistakes) {
    const auto [status, output] = run_command(kCamera + args + " 2>&1");
    EXPECT_NE(status, 0) << args;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
  }
}

// What a client of the re-served stream receives: frames and their mean brightness.
struct Watched {
  std::atomic<int> frames{0};
  std::atomic<double> brightest{0};
};

GstPadProbeReturn watch_frame(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* watched = static_cast<Watched*>(data);
  GstMapInfo map;
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    double sum = 0;
    for (gsize i = 0; i < map.size; ++i) sum += map.data[i];
    watched->brightest = std::max(watched->brightest.load(), sum / static_cast<double>(map.size));
    gst_buffer_unmap(buffer, &map);
  }
  ++watched->frames;
  return GST_PAD_PROBE_OK;
}

// --serve: another client watches the explained video over RTSP, without a file or a display.
TEST(Camera, TheExplainedVideoIsServedToRtspClients) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_server(camera_stream());
  ASSERT_TRUE(camera_server.ok());
  TempDir logs;
  CameraProcess camera({"--tcp", "--serve", "127.0.0.1:0", camera_server.url(),
                        "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("camera.log"));
  const std::string serving = "serving the explained video on ";
  ASSERT_TRUE(wait_for(camera, [&] { return camera.log().find(serving) != std::string::npos; }, 30s))
      << "no '" << serving << "' within 30 s:\n" << camera.log();
  const std::string log = camera.log();
  const auto start = log.find(serving) + serving.size();
  const std::string url = log.substr(start, log.find('\n', start) - start);
  EXPECT_EQ(url.rfind("rtsp://127.0.0.1:", 0), 0u) << url;

  GstElement* client = scorecam_test::parse("rtspsrc name=source protocols=tcp ! decodebin ! videoconvert ! "
                                            "video/x-raw,format=GRAY8 ! fakesink name=sink");
  GstElement* source = gst_bin_get_by_name(GST_BIN(client), "source");
  g_object_set(source, "location", url.c_str(), nullptr);
  gst_object_unref(source);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(client), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  Watched watched;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, watch_frame, &watched, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(client, GST_STATE_PLAYING);
  // Frames from the camera, not the black ones the server sends while nothing feeds it.
  const bool watching = wait_for(camera, [&] { return watched.frames >= 30 && watched.brightest > 20; }, 60s);
  gst_element_set_state(client, GST_STATE_NULL);
  gst_object_unref(client);
  EXPECT_TRUE(watching) << "not 30 frames, some brighter than 20 on average, within 60 s: " << watched.frames.load()
                        << " frames, brightest mean " << watched.brightest.load() << "\n"
                        << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
}

// An error that is not the camera's (a model that cannot be loaded) ends the run at once, with
// status 1 and the element's message, instead of reconnecting for ever.
TEST(Camera, AnElementErrorIsNotRetried) {
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir out;
  const auto [status, output] = run_command(kCamera + " --tcp " + server.url() + " " + out.path() +
                                            " model-location=/nonexistent/model.pt 2>&1");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << output;
  EXPECT_NE(output.find("connection 1 failed"), std::string::npos) << output;
  EXPECT_NE(output.find("/nonexistent/model.pt"), std::string::npos) << output;
  EXPECT_EQ(output.find("reconnecting"), std::string::npos) << output;
}

}  // namespace
