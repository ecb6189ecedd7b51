// scorecam-camera as the tests run it: the program in a process of its own with its log in a file
// (optionally started through a launcher such as unshare), waits on what it writes, the segments
// and results it records, and what it serves (camera_test.cpp, camera_api_test.cpp,
// camera_runner_test.cpp).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/rtsp_client.h"
#include "support/wait.h"

namespace scorecam_test {

inline const std::string kCamera = SCORECAM_BUILD_DIR "/apps/scorecam-camera";

// scorecam-camera run by the test, its log in a file; `environment` added to the test's;
// `launcher` (such as {"unshare", "--pid", "--fork"}) runs it.
class CameraProcess {
 public:
  CameraProcess(std::vector<std::string> args, std::string log, const ChildProcess::Environment& environment = {},
                const std::vector<std::string>& launcher = {})
      : log_(std::move(log)), process_(command(launcher, std::move(args)), log_, environment) {}

  std::string log() const { return read_file(log_); }
  bool running() { return process_.running(); }
  int interrupt() { return process_.stop(SIGINT); }  // Ctrl-C: its exit status (-1 if not within 30 s)
  int terminate() { return process_.stop(SIGTERM); }  // docker stop, systemd: the same
  void kill() { process_.stop(SIGKILL); }             // the OOM killer, a node lost
  ChildProcess& process() { return process_; }

 private:
  static std::vector<std::string> command(std::vector<std::string> launcher, const std::vector<std::string>& args) {
    launcher.push_back(kCamera);
    launcher.insert(launcher.end(), args.begin(), args.end());
    return launcher;
  }

  std::string log_;
  ChildProcess process_;
};

// Until `done` holds (files appearing, lines in its log), for at most `timeout`: false then, or
// as soon as the camera process is gone.
inline bool wait_for(CameraProcess& camera, const std::function<bool()>& done, std::chrono::seconds timeout) {
  return wait_until([&] { return done() || !camera.running(); }, timeout,
                                   std::chrono::milliseconds(100)) &&
         done();
}

struct Segment {
  std::string video, results;
  bool partial = false;
};

inline std::vector<Segment> segments(const std::string& directory) {
  std::vector<Segment> found;
  if (!std::filesystem::is_directory(directory)) return found;  // a camera's folder, not made yet
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

inline std::vector<std::string> lines_of(const std::string& results) {
  std::vector<std::string> all;
  std::ifstream in(results);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  return all;
}

inline std::vector<nlohmann::json> records(const std::string& results) {
  std::vector<nlohmann::json> all;
  for (const auto& line : lines_of(results)) all.push_back(nlohmann::json::parse(line));
  return all;
}

// Finished segments (both files under their final names) recorded through `connection`.
inline int finished_segments_of(const std::string& directory, int connection) {
  int count = 0;
  for (const auto& segment : segments(directory)) {
    if (segment.partial || !std::filesystem::exists(segment.results)) continue;
    const auto lines = records(segment.results);
    if (!lines.empty() && lines.front().at("connection") == connection) ++count;
  }
  return count;
}

// Some connection after the first (the camera came back) has finished `count` segments.
inline bool a_reconnection_finished(const std::string& directory, int count) {
  for (int connection = 2; connection < 40; ++connection)
    if (finished_segments_of(directory, connection) >= count) return true;
  return false;
}

// Where TCP port `port` listens, as `ss` sees it: "127.0.0.1:8554" and the like, one a line.
inline std::string listening_on(int port) {
  return run_command("ss -ltnH 'sport = :" + std::to_string(port) + "' | awk '{ print $4 }'").second;
}

// Every segment in `directory` is finished, and decodes to as many frames as its results have records.
inline void expect_every_segment_plays(const std::string& directory) {
  const auto all = segments(directory);
  EXPECT_FALSE(all.empty()) << "no segment in " << directory;
  for (const auto& segment : all) {
    EXPECT_FALSE(segment.partial) << segment.video;
    ASSERT_TRUE(std::filesystem::exists(segment.results)) << segment.video;
    const int frames = count_frames(segment.video);
    EXPECT_GT(frames, 0) << segment.video;
    EXPECT_EQ(static_cast<int>(records(segment.results).size()), frames) << segment.video;
  }
}

inline bool logged(CameraProcess& runner, const std::string& line) { return runner.log().find(line) != std::string::npos; }

// The URL that the camera logs it serves on (`who`: "camera NAME: ", or "" for the URL form's);
// "" if it does not within 30 s.
inline std::string served_url(CameraProcess& camera, const std::string& who = "") {
  const std::string serving = who + "serving the explained video on ";
  if (!wait_for(camera, [&] { return logged(camera, serving); }, std::chrono::seconds(30))) return "";
  const std::string log = camera.log();
  const auto start = log.find(serving) + serving.size();
  return log.substr(start, log.find(' ', start) - start);
}

// Frames from the camera, not the black ones the server sends while nothing feeds it.
inline bool watches_the_camera(CameraProcess& camera, const RtspClient& client) {
  return wait_for(camera, [&] { return client.frames() >= 30 && client.brightest() > 20; }, std::chrono::seconds(60));
}

inline std::string watched(const RtspClient& client) {
  return "not 30 frames, some brighter than 20 on average, within 60 s: " + std::to_string(client.frames()) +
         " frames, brightest mean " + std::to_string(client.brightest());
}

}  // namespace scorecam_test
