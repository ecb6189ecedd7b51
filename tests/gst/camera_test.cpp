// scorecam-camera against an RTSP server the test starts on 127.0.0.1, stops mid-stream (a camera
// that reboots) and starts again on the same port: recording resumes, and every segment it closed
// decodes, with one JSON line per frame it holds. With several cameras in one runner (--camera),
// one camera's outage leaves the others recording. The camera's password never shows in what it
// writes; what it serves (--serve) listens on loopback unless told otherwise, and lets in only the
// user it is given, over TLS when asked.
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
#include "support/camera_runner.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/rtsp_client.h"
#include "support/test_models.h"

using scorecam_test::camera_stream;
using scorecam_test::CameraProcess;
using scorecam_test::count_frames;
using scorecam_test::encoder;
using scorecam_test::expect_every_segment_plays;
using scorecam_test::finished_segments_of;
using scorecam_test::kCamera;
using scorecam_test::LocalRtspServer;
using scorecam_test::lines_of;
using scorecam_test::listening_on;
using scorecam_test::logged;
using scorecam_test::read_file;
using scorecam_test::records;
using scorecam_test::RtspClient;
using scorecam_test::RtspLogin;
using scorecam_test::run_command;
using scorecam_test::segments;
using scorecam_test::TempDir;
using scorecam_test::test_model;
using scorecam_test::wait_for;
using namespace std::chrono_literals;

namespace {

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

// Some connection after the first (the camera came back) has finished `count` segments.
bool a_reconnection_finished(const std::string& directory, int count) {
  for (int connection = 2; connection < 40; ++connection)
    if (finished_segments_of(directory, connection) >= count) return true;
  return false;
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
  ASSERT_TRUE(wait_for(camera, [&] { return a_reconnection_finished(out.path(), 2); }, 60s)) << "not 2 finished segments of one connection within 60 s of the camera's return:\n" << camera.log();
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
      {" --serve 0.0.0.0:0 rtsp://127.0.0.1:1/x", "--serve 0.0.0.0:0 would let anyone who reaches 0.0.0.0 watch"},
      {" --serve 0 --serve-user viewer rtsp://127.0.0.1:1/x", "--serve-user needs a password"},
      {" --serve 0 --serve-user viewer --serve-password-file /nonexistent rtsp://127.0.0.1:1/x",
       "cannot read a password from --serve-password-file /nonexistent"},
      {" --serve 0 --serve-tls-cert c.pem rtsp://127.0.0.1:1/x", "TLS needs both --serve-tls-cert and --serve-tls-key"},
      {" --serve-user viewer rtsp://127.0.0.1:1/x /tmp/x", "--serve-user needs --serve"},
      {" rtsp://admin:Hidden@host:port/x /tmp/x", "'rtsp://admin:***@host:port/x' is not an rtsp:// URL"},
      {" --segment-seconds -3 rtsp://127.0.0.1:1/x /tmp/x", "--segment-seconds needs a number above 0, not '-3'"},
      {" rtsp://127.0.0.1:1/x /dev/null/x", "cannot use /dev/null/x as the output directory"}};
  for (const auto& [args, message] : mistakes) {
    const auto [status, output] = run_command(kCamera + args + " 2>&1");
    EXPECT_NE(status, 0) << args;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
  }
}

// The URL that the camera logs it serves on ("" if it does not within 30 s).
std::string served_url(CameraProcess& camera) {
  const std::string serving = "serving the explained video on ";
  if (!wait_for(camera, [&] { return camera.log().find(serving) != std::string::npos; }, 30s)) return "";
  const std::string log = camera.log();
  const auto start = log.find(serving) + serving.size();
  return log.substr(start, log.find(' ', start) - start);
}

// Frames from the camera, not the black ones the server sends while nothing feeds it.
bool watches_the_camera(CameraProcess& camera, const RtspClient& client) {
  return wait_for(camera, [&] { return client.frames() >= 30 && client.brightest() > 20; }, 60s);
}

std::string watched(const RtspClient& client) {
  return "not 30 frames, some brighter than 20 on average, within 60 s: " + std::to_string(client.frames()) +
         " frames, brightest mean " + std::to_string(client.brightest());
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
  const std::string url = served_url(camera);
  ASSERT_EQ(url.rfind("rtsp://127.0.0.1:", 0), 0u) << url << "\n" << camera.log();
  RtspClient client(url);
  EXPECT_TRUE(watches_the_camera(camera, client)) << watched(client) << "\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
}

// --serve PORT alone listens on loopback only.
TEST(Camera, ServingListensOnLoopbackByDefault) {
  LocalRtspServer camera_server(camera_stream());
  ASSERT_TRUE(camera_server.ok());
  TempDir logs;
  CameraProcess camera({"--tcp", "--serve", "0", camera_server.url(), "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("camera.log"));
  const std::string url = served_url(camera);
  ASSERT_EQ(url.rfind("rtsp://127.0.0.1:", 0), 0u) << url << "\n" << camera.log();
  const int port = std::stoi(url.substr(std::string("rtsp://127.0.0.1:").size()));
  EXPECT_EQ(listening_on(port), "127.0.0.1:" + std::to_string(port) + "\n") << camera.log();
  EXPECT_NE(camera.log().find("(anyone may watch, no TLS)"), std::string::npos) << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
}

// --serve-user: a client without the password, or with a wrong one, is refused (401); one with it
// watches. The password comes from a file, or from the environment.
TEST(Camera, OnlyTheServedUserWatches) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_server(camera_stream());
  ASSERT_TRUE(camera_server.ok());
  TempDir logs;
  std::ofstream(logs.file("password")) << "Watch-Only 42\n";
  for (const bool from_file : {true, false}) {
    SCOPED_TRACE(from_file ? "password from a file" : "password from the environment");
    std::vector<std::string> args = {"--tcp", "--serve", "127.0.0.1:0", "--serve-user", "viewer"};
    if (from_file) args.insert(args.end(), {"--serve-password-file", logs.file("password")});
    args.insert(args.end(), {camera_server.url(), "model-location=" + test_model("tiny_rgb.pt")});
    CameraProcess camera(args, logs.file(from_file ? "file.log" : "environment.log"),
                         {{"SCORECAM_SERVE_PASSWORD", from_file ? "" : "Watch-Only 42"}});
    const std::string url = served_url(camera);
    ASSERT_EQ(url.rfind("rtsp://127.0.0.1:", 0), 0u) << url << "\n" << camera.log();
    EXPECT_NE(camera.log().find("(user viewer, digest authentication, no TLS)"), std::string::npos) << camera.log();
    for (const RtspLogin& intruder : {RtspLogin{}, RtspLogin{"viewer", "guess"}, RtspLogin{"admin", "Watch-Only 42"}}) {
      RtspClient client(url, intruder);
      bool refused = false;
      const std::string error = client.error_within(30s, &refused);
      EXPECT_TRUE(refused) << "user '" << intruder.user << "': " << (error.empty() ? "no error within 30 s" : error);
      EXPECT_EQ(client.frames(), 0) << intruder.user;
    }
    RtspClient client(url, {"viewer", "Watch-Only 42"});
    EXPECT_TRUE(watches_the_camera(camera, client)) << watched(client) << "\n" << camera.log();
    EXPECT_EQ(camera.interrupt(), 0) << camera.log();
    EXPECT_EQ(camera.log().find("Watch-Only"), std::string::npos) << camera.log();
  }
}

// --serve-tls-cert/--serve-tls-key: rtsps://, its certificate checked by the client; a plain RTSP
// client gets nothing.
TEST(Camera, TheServedVideoCanGoOverTls) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir keys, logs;
  const auto [made, made_output] = run_command(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout " + keys.file("key.pem") + " -out " + keys.file("cert.pem") + " 2>&1");
  ASSERT_EQ(made, 0) << made_output;
  std::ofstream(keys.file("password")) << "Tls-Secret\n";
  LocalRtspServer camera_server(camera_stream());
  ASSERT_TRUE(camera_server.ok());
  CameraProcess camera({"--tcp", "--serve", "127.0.0.1:0", "--serve-user", "viewer", "--serve-password-file",
                        keys.file("password"), "--serve-tls-cert", keys.file("cert.pem"), "--serve-tls-key",
                        keys.file("key.pem"), camera_server.url(), "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("camera.log"));
  const std::string url = served_url(camera);
  ASSERT_EQ(url.rfind("rtsps://127.0.0.1:", 0), 0u) << url << "\n" << camera.log();
  {
    RtspClient plain("rtsp://" + url.substr(std::string("rtsps://").size()), {"viewer", "Tls-Secret"});
    EXPECT_NE(plain.error_within(30s), "") << "a plain RTSP client was not refused";
    EXPECT_EQ(plain.frames(), 0);
  }
  RtspClient client(url, {"viewer", "Tls-Secret", keys.file("cert.pem")});
  EXPECT_TRUE(watches_the_camera(camera, client)) << watched(client) << "\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();
}

// A camera that wants a user and password, given in its URL: through every (re)connection, and a
// wrong password, the password shows nowhere in the log (GStreamer's own debug output included)
// or the records.
TEST(Camera, TheCamerasPasswordIsNeverWritten) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  const scorecam::app::RtspAccess camera_access{"admin", "S3cretPass"};
  auto server = std::make_unique<LocalRtspServer>(camera_stream(), 0, camera_access);
  ASSERT_TRUE(server->ok()) << server->error();
  const int port = server->port();
  const std::string url = "rtsp://admin:S3cretPass@127.0.0.1:" + std::to_string(port) + "/test";
  TempDir out, logs;
  CameraProcess camera({"--tcp", "--segment-seconds", "1", "--retry-min", "0.2", "--retry-max", "0.5",
                        "--stall-seconds", "5", "--encoder", encoder() + " tune=zerolatency", url, out.path(),
                        "model-location=" + test_model("tiny_rgb.pt"), "async=false"},
                       logs.file("camera.log"), {{"GST_DEBUG", "rtsp*:5"}});
  ASSERT_TRUE(wait_for(camera, [&] { return finished_segments_of(out.path(), 1) >= 1; }, 60s))
      << "no finished segment within 60 s:\n" << camera.log();
  server.reset();
  ASSERT_TRUE(wait_for(camera, [&] { return camera.log().find("(reconnection 2)") != std::string::npos; }, 30s))
      << "not 2 reconnections within 30 s:\n" << camera.log();
  server = std::make_unique<LocalRtspServer>(camera_stream(), port, camera_access);
  ASSERT_TRUE(server->ok()) << server->error();
  ASSERT_TRUE(wait_for(camera, [&] { return a_reconnection_finished(out.path(), 1); }, 60s)) << "no finished segment within 60 s of the camera's return:\n" << camera.log();
  EXPECT_EQ(camera.interrupt(), 0) << camera.log();

  const std::string log = camera.log();
  EXPECT_NE(log.find("connection 3: connecting to rtsp://admin:***@127.0.0.1:" + std::to_string(port) + "/test"),
            std::string::npos) << log;
  EXPECT_EQ(log.find("S3cretPass"), std::string::npos) << log;
  for (const auto& entry : std::filesystem::directory_iterator(out.path()))
    EXPECT_EQ(read_file(entry.path().string()).find("S3cretPass"), std::string::npos) << entry.path();

  // Refused: the camera's error, and the URL, without the password that was tried.
  const auto [status, refused] = run_command(kCamera + " --tcp --max-reconnects 1 --retry-min 0.1 "
                                             "rtsp://admin:Wr0ngPass@127.0.0.1:" + std::to_string(port) + "/test " +
                                             out.path() + " model-location=" + test_model("tiny_rgb.pt") + " 2>&1");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << refused;
  EXPECT_NE(refused.find("connection 1 lost: "), std::string::npos) << refused;
  EXPECT_NE(refused.find("rtsp://admin:***@127.0.0.1"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("Wr0ngPass"), std::string::npos) << refused;
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

// Two cameras in one runner (--camera a=... --camera b=...), each recorded into OUTPUT_DIR/NAME/:
// camera a's server goes away (a reboot), and camera b goes on closing segments on its first
// connection while a reconnects; a comes back and records again. SIGTERM finishes both cameras'
// segments in progress and ends the runner with status 0; every segment of both plays.
TEST(Camera, OneCamerasOutageLeavesTheOthersRecording) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  auto camera_a = std::make_unique<LocalRtspServer>(camera_stream());
  LocalRtspServer camera_b(camera_stream());
  ASSERT_TRUE(camera_a->ok() && camera_b.ok());
  const int port_a = camera_a->port();
  TempDir out, logs;
  const std::string a = out.file("a"), b = out.file("b");
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--retry-min", "0.2", "--retry-max", "0.5",
                        "--stall-seconds", "5", "--encoder", encoder() + " tune=zerolatency", "--camera",
                        "a=" + camera_a->url(), "--camera", "b=" + camera_b.url(), out.path(),
                        "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("runner.log"));
  ASSERT_TRUE(wait_for(runner, [&] { return finished_segments_of(a, 1) >= 1 && finished_segments_of(b, 1) >= 1; },
                       60s)) << "not a finished segment of each camera within 60 s:\n" << runner.log();

  camera_a.reset();  // camera a reboots
  ASSERT_TRUE(wait_for(runner, [&] { return logged(runner, "camera a: connection 1 lost"); }, 30s))
      << "camera a's loss not noticed within 30 s:\n" << runner.log();
  for (const auto& segment : segments(a)) EXPECT_FALSE(segment.partial) << segment.video;
  const int a_before = finished_segments_of(a, 1), b_before = finished_segments_of(b, 1);
  // While a is away and reconnecting, b goes on recording: 3 more segments of about a second each.
  ASSERT_TRUE(wait_for(runner, [&] {
    return finished_segments_of(b, 1) >= b_before + 3 && logged(runner, "camera a: connection 3 lost");
  }, 30s)) << "camera b did not finish 3 segments while camera a reconnected (" << finished_segments_of(b, 1) - b_before
           << " within 30 s):\n" << runner.log();

  camera_a = std::make_unique<LocalRtspServer>(camera_stream(), port_a);
  ASSERT_TRUE(camera_a->ok()) << "port " << port_a << " could not be bound again";
  ASSERT_TRUE(wait_for(runner, [&] { return a_reconnection_finished(a, 1); }, 60s))
      << "camera a recorded nothing within 60 s of its return:\n" << runner.log();
  const int b_in_progress = finished_segments_of(b, 1);
  EXPECT_EQ(runner.terminate(), 0) << runner.log();

  const std::string log = runner.log();
  EXPECT_EQ(log.find("camera b: connection 1 lost"), std::string::npos) << log;
  EXPECT_NE(log.find("camera a: connection 1: connecting to rtsp://127.0.0.1:"), std::string::npos) << log;
  for (const std::string camera : {"a", "b"})
    EXPECT_NE(log.find("camera " + camera + ": stopped: "), std::string::npos) << log;
  EXPECT_EQ(finished_segments_of(a, 1), a_before);
  // b's segment in progress at SIGTERM was finished too, and all of b's came through one connection.
  EXPECT_GT(finished_segments_of(b, 1), b_in_progress);
  EXPECT_EQ(static_cast<size_t>(finished_segments_of(b, 1)), segments(b).size());
  expect_every_segment_plays(a);
  expect_every_segment_plays(b);
}

// --cameras FILE: one camera a line with its own properties (here sync mode: every record explained).
TEST(Camera, CamerasComeFromAFileWithTheirOwnProperties) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir out, logs;
  std::ofstream(logs.file("cameras.txt")) << "# the door\n\n  door " << server.url() << " async=false\n";
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency", "--cameras",
                        logs.file("cameras.txt"), out.path(), "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("runner.log"));
  ASSERT_TRUE(wait_for(runner, [&] { return finished_segments_of(out.file("door"), 1) >= 1; }, 60s))
      << "no finished segment within 60 s:\n" << runner.log();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  expect_every_segment_plays(out.file("door"));
  for (const auto& segment : segments(out.file("door")))
    for (const auto& record : records(segment.results)) EXPECT_TRUE(record.at("explained").get<bool>()) << record.dump();
}

// An error that is not the camera's (here camera "broken"'s model cannot be loaded) ends that
// camera only, logged with its name and the element's message, and is not retried; the other goes
// on recording, and Ctrl-C still ends the runner with status 0. Once every camera has ended, the
// runner exits with status 1.
TEST(Camera, AnErrorThatIsNotTheCamerasEndsThatCameraOnly) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir out, logs;
  std::ofstream(logs.file("cameras.txt")) << "broken " << server.url() << " model-location=/nonexistent/model.pt\n"
                                          << "working " << server.url() << "\n";
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency", "--cameras",
                        logs.file("cameras.txt"), out.path(), "model-location=" + test_model("tiny_rgb.pt")},
                       logs.file("runner.log"));
  ASSERT_TRUE(wait_for(runner, [&] {
    return finished_segments_of(out.file("working"), 1) >= 2 && logged(runner, "camera broken: ended");
  }, 60s)) << "camera working did not record on while camera broken ended, within 60 s:\n" << runner.log();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  const std::string log = runner.log();
  EXPECT_NE(log.find("camera broken: connection 1 failed: "), std::string::npos) << log;
  EXPECT_NE(log.find("/nonexistent/model.pt"), std::string::npos) << log;
  EXPECT_EQ(log.find("camera broken: connection 1 lost"), std::string::npos) << log;  // not retried
  EXPECT_EQ(log.find("camera working: connection 1 lost"), std::string::npos) << log;
  expect_every_segment_plays(out.file("working"));

  const auto [status, output] = run_command(kCamera + " --tcp --camera a=" + server.url() + " --camera b=" +
                                            server.url() + " " + out.path() +
                                            " model-location=/nonexistent/model.pt 2>&1");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << output;
  EXPECT_NE(output.find("camera a: connection 1 failed"), std::string::npos) << output;
  EXPECT_NE(output.find("camera b: connection 1 failed"), std::string::npos) << output;
  EXPECT_NE(output.find("every camera has ended"), std::string::npos) << output;
}

// A camera list it cannot take stops the runner before anything starts: status 2, and a message
// that names the camera (and never its password).
TEST(Camera, RefusesCamerasItCannotTellApartOrReach) {
  TempDir out, lists;
  const auto list = [&](const std::string& name, const std::string& text) {
    std::ofstream(lists.file(name)) << text;
    return lists.file(name);
  };
  const std::string twice = list("twice.txt", "# two cameras\nfront rtsp://127.0.0.1:1/x\nfront rtsp://127.0.0.1:2/x\n");
  const std::string no_value = list("no_value.txt", "back rtsp://127.0.0.1:1/x colormap\n");
  const std::string unknown = list("unknown.txt", "back rtsp://127.0.0.1:1/x no-such-property=1\n");
  const std::string empty = list("empty.txt", "# nothing yet\n");
  const std::string dir = " " + out.path();
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {" --camera a=rtsp://127.0.0.1:1/x --camera a=rtsp://127.0.0.1:2/x" + dir, "--camera a: two cameras are named 'a'"},
      {" --camera a.b=rtsp://127.0.0.1:1/x" + dir, "--camera a.b: 'a.b' is not a camera name"},
      {" --camera =rtsp://127.0.0.1:1/x" + dir, "--camera takes NAME=URL, not '=rtsp://127.0.0.1:1/x'"},
      {" --camera a=http://127.0.0.1/x" + dir, "--camera a: 'http://127.0.0.1/x' is not an rtsp:// URL"},
      {" --camera rtsp://admin:Hidden@127.0.0.1/x" + dir, "--camera takes NAME=URL, not 'rtsp://admin:***@127.0.0.1/x'"},
      {" --camera a=rtsp://127.0.0.1:1/x rtsp://127.0.0.1:2/y" + dir,
       "give the camera's URL, or --camera and --cameras, not both"},
      {" --camera a=rtsp://127.0.0.1:1/x --serve 0" + dir, "--serve re-serves the one camera of the URL form"},
      {" --camera a=rtsp://127.0.0.1:1/x --cameras " + twice + dir, twice + ":3: two cameras are named 'front'"},
      {" --cameras " + no_value + dir, no_value + ":1: 'colormap' is not PROPERTY=VALUE"},
      {" --cameras " + empty + dir, "--cameras " + empty + " names no camera"},
      {" --cameras /nonexistent/cameras.txt" + dir, "cannot read --cameras /nonexistent/cameras.txt"},
      {" --camera a=rtsp://127.0.0.1:1/x --cameras " + unknown + dir,
       "scorecam-camera: camera back: 'no-such-property' is not a scorecamoverlay property"}};
  for (const auto& [args, message] : mistakes) {
    const auto [status, output] = run_command(kCamera + args + " 2>&1");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << args << ": " << output;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
    EXPECT_EQ(output.find("Hidden"), std::string::npos) << args << ": " << output;
  }
  EXPECT_TRUE(std::filesystem::is_empty(out.path()));  // nothing was started, nor any folder made
}

}  // namespace
