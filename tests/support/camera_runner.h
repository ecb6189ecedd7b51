// scorecam-camera as the tests run it: the program in a process of its own with its log in a file,
// waits on what it writes, and the segments and results it records (camera_test.cpp,
// camera_api_test.cpp).
#pragma once

#include <signal.h>

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
#include "support/wait.h"

namespace scorecam_test {

inline const std::string kCamera = SCORECAM_BUILD_DIR "/apps/scorecam-camera";

// scorecam-camera run by the test, its log in a file; `environment` added to the test's.
class CameraProcess {
 public:
  CameraProcess(std::vector<std::string> args, std::string log, const ChildProcess::Environment& environment = {})
      : log_(std::move(log)), process_(with_program(std::move(args)), log_, environment) {}

  std::string log() const { return read_file(log_); }
  bool running() { return process_.running(); }
  int interrupt() { return process_.stop(SIGINT); }  // Ctrl-C: its exit status (-1 if not within 30 s)
  int terminate() { return process_.stop(SIGTERM); }  // docker stop, systemd: the same

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

}  // namespace scorecam_test
