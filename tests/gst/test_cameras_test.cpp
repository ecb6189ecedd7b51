// scorecam-test-cameras, the cameras made of files and test patterns that check_image.sh and the
// runner's memory measurement use: each served at its own mount, watched by an RTSP client, until
// SIGTERM (status 0).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/rtsp_client.h"
#include "support/wait.h"

namespace scorecam_test {
namespace {

const std::string kTestCameras = SCORECAM_BUILD_DIR "/apps/scorecam-test-cameras";

// The URLs it printed, one a line, once there are `count` (none if not within 30 s).
std::vector<std::string> printed_urls(ChildProcess& cameras, const std::string& log, size_t count) {
  std::vector<std::string> urls;
  wait_until([&] {
    urls.clear();
    std::istringstream lines(read_file(log));
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("rtsp://", 0) == 0) urls.push_back(line);
    return urls.size() >= count || !cameras.running();
  }, std::chrono::seconds(30));
  return urls;
}

TEST(TestCameras, ServeAFileAndATestPatternEachAtItsMount) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir dir;
  write_video(dir.file("walk.mp4"), 60, 160, 120);
  ChildProcess cameras({kTestCameras, "--port", "0", "walk=" + dir.file("walk.mp4"), "pattern=test:160x120"},
                       dir.file("cameras.log"));
  const auto urls = printed_urls(cameras, dir.file("cameras.log"), 2);
  ASSERT_EQ(urls.size(), 2u) << read_file(dir.file("cameras.log"));
  EXPECT_EQ(urls[0].substr(urls[0].rfind('/')), "/walk");
  EXPECT_EQ(urls[1].substr(urls[1].rfind('/')), "/pattern");
  RtspClient file(urls[0]), pattern(urls[1]);
  EXPECT_TRUE(wait_until([&] { return file.frames() >= 30 && pattern.frames() >= 30; }, std::chrono::seconds(30)))
      << file.frames() << " and " << pattern.frames() << " frames within 30 s";
  EXPECT_EQ(cameras.stop(SIGTERM), 0) << read_file(dir.file("cameras.log"));
}

TEST(TestCameras, SayWhatIsWrongWithTheirArguments) {
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {"", "give at least one camera, NAME=SOURCE"},
      {" a=/nonexistent.mp4", "a=/nonexistent.mp4: no such video file"},
      {" a=test:big", "a=test:big: test:WIDTHxHEIGHT takes a size such as 640x480"},
      {" a", "'a' is not PROPERTY=VALUE"}};
  for (const auto& [args, message] : mistakes) {
    const auto [status, output] = run_command(kTestCameras + args + " 2>&1");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << args << ": " << output;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
  }
}

}  // namespace
}  // namespace scorecam_test
