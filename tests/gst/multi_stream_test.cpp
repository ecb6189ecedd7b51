// pipelines/multi_stream.sh as a user runs it: several files in one pipeline sharing one model,
// each with its video, its JSON Lines and its MQTT topic; cameras run by scorecam-camera.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/camera_runner.h"
#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/mosquitto.h"
#include "support/pipelines.h"
#include "support/test_models.h"
#include "support/wait.h"

namespace scorecam_test {
namespace {

const std::string kScript = SCORECAM_SOURCE_DIR "/pipelines/multi_stream.sh";
const std::string kModel = "model-location=" + test_model("tiny_rgb.pt");

std::pair<int, std::string> run_script(const std::string& arguments) {
  return run_command("SCORECAM_BUILD_DIR=\"" SCORECAM_BUILD_DIR "\" \"" + kScript + "\" " + arguments + " 2>&1");
}

std::vector<nlohmann::json> records_in(const std::string& file) {
  std::vector<nlohmann::json> records;
  std::ifstream lines(file);
  for (std::string line; std::getline(lines, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

TEST(MultiStream, EveryFileGetsItsVideoItsResultsAndItsTopic) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out;
  write_video(in.file("walk.mp4"), 12, 128, 96);
  write_video(in.file("hall way.mp4"), 9, 96, 128);
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port(), "scorecam/#");
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";

  const auto [status, output] = run_script("--mqtt " + broker.address() + " \"" + out.path() + "\" \"" +
                                           in.file("walk.mp4") + "\" \"" + in.file("hall way.mp4") + "\" " + kModel +
                                           " refresh-interval=3");
  ASSERT_EQ(status, 0) << output;
  for (const auto& [name, frames] : std::vector<std::pair<std::string, int>>{{"walk", 12}, {"hall way", 9}}) {
    EXPECT_EQ(count_frames(out.file(name + ".mp4")), frames) << name;
    const auto records = records_in(out.file(name + ".jsonl"));
    ASSERT_EQ(records.size(), static_cast<std::size_t>(frames)) << name;
    for (int i = 0; i < frames; ++i) {
      EXPECT_EQ(records[i].at("frame"), i) << name;
      EXPECT_TRUE(records[i].at("explained").get<bool>()) << name;
    }
    EXPECT_TRUE(subscriber.wait_for("scorecam/" + name, frames)) << frames << " results did not arrive within 20 s on " << name;
    EXPECT_EQ(subscriber.messages("scorecam/" + name).size(), static_cast<std::size_t>(frames)) << name;
    EXPECT_FALSE(g_file_test(out.file(name + ".partial.mp4").c_str(), G_FILE_TEST_EXISTS)) << name;
  }
}

// Cameras are given way to scorecam-camera: each recorded in segments into OUT_DIR/camera-I/ and
// published on scorecam/camera-I. One camera's server going away leaves the other recording and
// publishing (one pipeline of both would have ended), and Ctrl-C finishes both cameras' segments.
TEST(MultiStream, CamerasAreRunByTheCameraRunner) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  auto camera_0 = std::make_unique<LocalRtspServer>(camera_stream());
  LocalRtspServer camera_1(camera_stream());
  ASSERT_TRUE(camera_0->ok() && camera_1.ok());
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port(), "scorecam/#");
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
  TempDir out, logs;
  const std::string log = logs.file("multi_stream.log");
  ChildProcess script({"bash", kScript, "--mqtt", broker.address(), out.path(), camera_0->url(), camera_1.url(), kModel},
                      log, {{"SCORECAM_BUILD_DIR", SCORECAM_BUILD_DIR}});
  ASSERT_TRUE(script.started()) << script.error();
  const auto published = [&](const std::string& camera) { return subscriber.messages("scorecam/" + camera).size(); };
  ASSERT_TRUE(wait_until([&] { return !script.running() || (published("camera-0") >= 10 && published("camera-1") >= 10); },
                         std::chrono::seconds(60)) && script.running())
      << "not 10 results of each camera within 60 s:\n" << read_file(log);

  camera_0.reset();
  // camera-1 goes on after the runner has seen camera-0 go (counting from the server's going
  // alone, camera-1's next 30 frames could all come before the loss is noticed).
  const auto lost = [&] { return read_file(log).find("camera camera-0: connection 1 lost") != std::string::npos; };
  ASSERT_TRUE(wait_until([&] { return !script.running() || lost(); }, std::chrono::seconds(30)) && script.running())
      << "camera-0's loss was not noticed within 30 s:\n" << read_file(log);
  const std::size_t before = published("camera-1");
  EXPECT_TRUE(wait_until([&] { return !script.running() || published("camera-1") >= before + 30; },
                         std::chrono::seconds(30)) && script.running())
      << "camera-1 did not go on after camera-0's server went away:\n" << read_file(log);
  EXPECT_EQ(script.stop(SIGINT), 0) << "multi_stream.sh did not finish well after Ctrl-C:\n" << read_file(log);
  expect_every_segment_plays(out.file("camera-0"));
  expect_every_segment_plays(out.file("camera-1"));
}

TEST(MultiStream, SaysWhatIsWrongWithItsArguments) {
  TempDir dir;
  write_video(dir.file("a.mp4"), 2, 64, 48);
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {"", "Usage"},
      {"\"" + dir.path() + "\"", "Usage"},
      {"\"" + dir.path() + "\" /no/such.mp4", "input '/no/such.mp4' not found"},
      {"--mqtt nowhere \"" + dir.path() + "\" \"" + dir.file("a.mp4") + "\"", "HOST:PORT"},
      {"\"" + dir.path() + "/out\" \"" + dir.file("a.mp4") + "\" \"" + dir.file("a.mp4") + "\"", "collide"},
      {"\"" + dir.path() + "/out\" \"" + dir.file("a.mp4") + "\" alpha", "input 'alpha' not found"},
      {"\"" + dir.path() + "/out\" rtsp://127.0.0.1:1/x \"" + dir.file("a.mp4") + "\"",
       "cameras (rtsp://) and other sources in one run"},
  };
  for (const auto& [arguments, message] : mistakes) {
    const auto [status, output] = run_script(arguments);
    EXPECT_NE(status, 0) << arguments;
    EXPECT_NE(output.find(message), std::string::npos) << arguments << ": " << output;
  }
}

}  // namespace
}  // namespace scorecam_test
