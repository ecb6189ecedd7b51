// scorecamoverlay in real pipelines: a test source, encoded files through decodebin and an encoder,
// an RTSP stream from a server the test starts, and the scripts in pipelines/.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gstscorecammeta.h"
#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/test_models.h"
#include "support/wait.h"

using scorecam_test::BufferCounter;
using scorecam_test::camera_stream;
using scorecam_test::count_frames;
using scorecam_test::encoder;
using scorecam_test::LocalRtspServer;
using scorecam_test::parse;
using scorecam_test::read_file;
using scorecam_test::run_to_eos;
using scorecam_test::test_model;
using scorecam_test::TempDir;
using scorecam_test::write_video;

namespace {

const std::string kOverlay = "scorecamoverlay model-location=\"" + test_model("tiny_rgb.pt") + "\"";

// ---------------------------------------------------------------------------------------------

TEST(Pipeline, TestSourceToFakesink) {
  for (const char* format : {"I420", "RGB"}) {
    GstElement* pipeline = parse(std::string("videotestsrc num-buffers=20 ! video/x-raw,format=") + format +
                                 ",width=96,height=72 ! " + kOverlay + " ! fakesink name=sink");
    BufferCounter counter;
    counter.attach(pipeline, "sink");
    const auto result = run_to_eos(pipeline);
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(counter.buffers, 20) << format;
    EXPECT_EQ(counter.annotated, 20) << format;
    gst_object_unref(pipeline);
  }
}

// Downstream conversion and scaling keep both metas: the map is relative to the whole frame.
TEST(Pipeline, MetadataSurvivesConversionAndScaling) {
  GstElement* pipeline = parse("videotestsrc num-buffers=5 ! video/x-raw,format=RGBx,width=96,height=72 ! " +
                               kOverlay + " ! videoconvert ! video/x-raw,format=I420 ! videoscale ! "
                               "video/x-raw,width=48,height=36 ! fakesink name=sink");
  BufferCounter counter;
  counter.attach(pipeline, "sink");
  const auto result = run_to_eos(pipeline);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(counter.buffers, 5);
  EXPECT_EQ(counter.annotated, 5);
  gst_object_unref(pipeline);
}

TEST(Pipeline, BadModelFailsTheStateChangeWithItsMessage) {
  GstElement* pipeline = parse("videotestsrc num-buffers=5 ! videoconvert ! "
                               "scorecamoverlay model-location=/nonexistent/model.pt ! fakesink");
  const auto result = run_to_eos(pipeline);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("/nonexistent/model.pt"), std::string::npos) << result.error;
  gst_object_unref(pipeline);
}

TEST(Pipeline, EncodedFileThroughDecodebinAndAnEncoder) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir dir;
  write_video(dir.file("in.mp4"), 30, 160, 120);
  GstElement* pipeline = parse("filesrc location=\"" + dir.file("in.mp4") + "\" ! decodebin ! videoconvert ! " +
                               kOverlay + " refresh-interval=4 name=overlay ! videoconvert ! " + encoder() +
                               " ! mp4mux ! filesink location=\"" + dir.file("out.mp4") + "\"");
  const auto result = run_to_eos(pipeline);
  ASSERT_TRUE(result.ok) << result.error;
  gst_object_unref(pipeline);
  EXPECT_EQ(count_frames(dir.file("out.mp4")), 30);
}

TEST(Pipeline, RtspStreamInAsyncMode) {
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  GstElement* pipeline = parse("rtspsrc location=" + server.url() + " protocols=tcp latency=100 ! decodebin ! "
                               "videoconvert ! " + kOverlay + " async=true ! fakesink name=sink");
  BufferCounter counter;
  counter.attach(pipeline, "sink");
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  // Live: run until enough frames went through, with heatmaps on the later ones, or an error.
  GstBus* bus = gst_element_get_bus(pipeline);
  std::string error;
  const bool enough = scorecam_test::wait_until(
      [&] {
        if (GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
          GError* gerror = nullptr;
          gst_message_parse_error(message, &gerror, nullptr);
          error = gerror->message;
          g_clear_error(&gerror);
          gst_message_unref(message);
        }
        return !error.empty() || (counter.buffers >= 45 && counter.annotated >= 15);
      },
      std::chrono::seconds(30));
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  EXPECT_EQ(error, "");
  EXPECT_TRUE(enough) << "45 frames, 15 of them with a heatmap, did not pass within 30 s: " << counter.buffers
                      << " frames, " << counter.annotated << " with a heatmap";
}

// ---------------------------------------------------------------------------------------------
// The scripts of pipelines/, run as users run them.

std::string script(const std::string& name) { return "\"" SCORECAM_SOURCE_DIR "/pipelines/" + name + "\""; }

// The exit status and what the script printed.
std::pair<int, std::string> run_script(const std::string& command) {
  return scorecam_test::run_command("SCORECAM_BUILD_DIR=\"" SCORECAM_BUILD_DIR "\" " + command + " 2>&1");
}

TEST(Scripts, PrintUsageWhenArgumentsAreMissing) {
  for (const char* name : {"file_to_file.sh", "rtsp_camera.sh", "folder_to_folder.sh"}) {
    const auto [status, output] = run_script(script(name));
    EXPECT_NE(status, 0) << name;
    EXPECT_NE(output.find("Usage: pipelines/" + std::string(name)), std::string::npos) << output;
  }
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {script("webcam.sh") + " /dev/no-such-camera", "camera '/dev/no-such-camera' not found"},
      {script("rtsp_camera.sh") + " http://host/stream", "is not an rtsp:// URL"},
      {script("file_to_file.sh") + " /no/such.mp4 /tmp/out.mp4", "input '/no/such.mp4' not found"},
      {script("folder_to_folder.sh") + " /no/such/dir /tmp/out", "is not a directory"},
      {script("file_to_file.sh") + " " SCORECAM_SOURCE_DIR "/README.md /tmp/out.mp4 alpha",
       "'alpha' is not PROPERTY=VALUE"}};
  for (const auto& [command, message] : mistakes) {
    const auto [status, output] = run_script(command);
    EXPECT_NE(status, 0) << command;
    EXPECT_NE(output.find(message), std::string::npos) << command << ": " << output;
  }
}

// The camera script as a user runs it: on screen (a fakesink here) and into a folder, until Ctrl-C.
TEST(Scripts, RtspCameraToScreenAndFolderUntilInterrupted) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir dir, logs;
  const std::string log = logs.file("rtsp_camera.log");
  scorecam_test::ChildProcess script_run(
      {"bash", SCORECAM_SOURCE_DIR "/pipelines/rtsp_camera.sh", server.url(), dir.path(),
       "model-location=" + test_model("tiny_rgb.pt")},
      log, {{"SCORECAM_BUILD_DIR", SCORECAM_BUILD_DIR}, {"SCORECAM_VIDEO_SINK", "fakesink"}});
  ASSERT_TRUE(script_run.started()) << script_run.error();
  // Recording has begun once the muxer has written more than its header.
  const std::string partial = dir.file("segment-000001.partial.mp4");
  ASSERT_TRUE(scorecam_test::wait_until(
      [&] {
        GStatBuf info;
        return g_stat(partial.c_str(), &info) == 0 && info.st_size > 20000;
      },
      std::chrono::seconds(30)))
      << partial << " did not grow past 20000 bytes within 30 s:\n" << read_file(log);
  EXPECT_EQ(script_run.stop(SIGINT), 0) << "rtsp_camera.sh did not finish well after Ctrl-C:\n" << read_file(log);
  // The segment in progress was finished, so it decodes, and its results are beside it (async
  // mode: frames that passed before the first heatmap have none).
  const int frames = count_frames(dir.file("segment-000001.mp4"));
  EXPECT_GT(frames, 10);
  std::ifstream results(dir.file("segment-000001.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(results, line);) ++lines;
  EXPECT_GT(lines, 0);
  EXPECT_LE(lines, frames);
}

TEST(Scripts, FileToFile) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir dir;
  write_video(dir.file("in.mp4"), 12, 128, 96);
  const auto [status, output] =
      run_script(script("file_to_file.sh") + " \"" + dir.file("in.mp4") + "\" \"" + dir.file("out.mp4") +
                 "\" model-location=\"" + test_model("tiny_rgb.pt") + "\" colormap=turbo");
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(count_frames(dir.file("out.mp4")), 12);
}

TEST(Scripts, FolderToFolderWritesVideosAndOneJsonLinePerFrame) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out;
  const std::vector<std::tuple<std::string, int, int, int>> videos = {
      {"walk.mp4", 20, 160, 120}, {"hall.mkv", 15, 128, 96}, {"door.mp4", 10, 96, 128}};
  for (const auto& [name, frames, width, height] : videos)
    write_video(in.file(name), frames, width, height, name.substr(name.size() - 3) == "mkv" ? "matroskamux" : "mp4mux");
  const auto [status, output] =
      run_script(script("folder_to_folder.sh") + " \"" + in.path() + "\" \"" + out.path() +
                 "\" model-location=\"" + test_model("tiny_rgb.pt") + "\" refresh-interval=3");
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("[3/3]"), std::string::npos) << output;  // progress
  for (const auto& [name, frames, width, height] : videos) {
    const std::string stem = name.substr(0, name.size() - 4);
    EXPECT_EQ(count_frames(out.file(stem + ".mp4")), frames) << name;
    std::ifstream lines(out.file(stem + ".jsonl"));
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      const auto record = nlohmann::json::parse(line);
      EXPECT_EQ(record.at("frame"), count);
      EXPECT_GE(record.at("class_id").get<int>(), 0);
      EXPECT_FALSE(record.at("label").get<std::string>().empty());
      EXPECT_GE(record.at("forward_passes").get<int>(), 1);
      if (count == 0) EXPECT_TRUE(record.at("refreshed").get<bool>()) << name;
    }
    EXPECT_EQ(count, frames) << name;
  }
}

// A folder with inputs that are not results: nothing under their names in the output folder, a
// summary that names them and why, a failing exit status; a re-run skips what is done.
TEST(Scripts, FolderToFolderLeavesNoFalseResultsAndSkipsFinishedVideos) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out;
  write_video(in.file("good.mp4"), 8, 96, 64);
  std::ofstream(in.file("notes.mp4")) << "not a video";
  // The header of an MP4 whose frames are cut off: it decodes, to no frame at all.
  write_video(in.file("cut.mp4"), 30, 96, 64, "mp4mux faststart=true");
  std::filesystem::resize_file(in.file("cut.mp4"), 1500);
  const std::string command = script("folder_to_folder.sh") + " \"" + in.path() + "\" \"" + out.path() +
                              "\" model-location=\"" + test_model("tiny_rgb.pt") + "\"";
  auto [status, output] = run_script(command);
  EXPECT_NE(status, 0) << output;
  EXPECT_NE(output.find("annotated 1, skipped 0 (already done), failed 2 of 3"), std::string::npos) << output;
  EXPECT_NE(output.find("notes.mp4: typefind"), std::string::npos) << output;
  EXPECT_NE(output.find("cut.mp4: no frame was decoded"), std::string::npos) << output;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(out.path())) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"good.jsonl", "good.mp4"}));
  EXPECT_EQ(count_frames(out.file("good.mp4")), 8);

  std::filesystem::remove(in.file("notes.mp4"));
  std::filesystem::remove(in.file("cut.mp4"));
  const auto finished = std::filesystem::last_write_time(out.file("good.mp4"));
  std::tie(status, output) = run_script(command);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("good.mp4: already annotated, skipped"), std::string::npos) << output;
  EXPECT_EQ(std::filesystem::last_write_time(out.file("good.mp4")), finished);
}

}  // namespace
