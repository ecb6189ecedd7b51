// pipelines/multi_stream.sh as a user runs it: several files, or files and a camera, in one
// pipeline sharing one model, each with its video, its JSON Lines and its MQTT topic.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// A camera never ends: Ctrl-C finishes every stream's file, which then plays and has its results.
TEST(MultiStream, ACameraAndAFileUntilInterrupted) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer server(camera_stream());
  ASSERT_TRUE(server.ok());
  TempDir in, out, logs;
  write_video(in.file("walk.mp4"), 6, 128, 96);
  const std::string log = logs.file("multi_stream.log");
  ChildProcess script({"bash", kScript, out.path(), server.url(), in.file("walk.mp4"), kModel, "async=true"}, log,
                      {{"SCORECAM_BUILD_DIR", SCORECAM_BUILD_DIR}});
  ASSERT_TRUE(script.started()) << script.error();
  // The camera's results have begun once its JSON Lines file holds a few records. Its name has the
  // time the run started: camera-0-YYYYmmdd-HHMMSS.
  const auto camera_file = [&](const std::string& extension) {  // ".mp4", ".partial.jsonl", ...
    for (const auto& entry : std::filesystem::directory_iterator(out.path())) {
      const std::string name = entry.path().filename().string();
      const auto dot = name.find('.');
      if (name.rfind("camera-0-", 0) == 0 && dot != std::string::npos && name.substr(dot) == extension)
        return entry.path().string();
    }
    return std::string();
  };
  ASSERT_TRUE(wait_until([&] { return records_in(camera_file(".partial.jsonl")).size() >= 10; }, std::chrono::seconds(30)))
      << "the camera's JSON Lines file did not reach 10 records within 30 s:\n" << read_file(log);
  EXPECT_EQ(script.stop(SIGINT), 0) << "multi_stream.sh did not finish well after Ctrl-C:\n" << read_file(log);
  ASSERT_FALSE(camera_file(".mp4").empty()) << "no finished camera-0-*.mp4";
  EXPECT_EQ(camera_file(".mp4").find(".partial"), std::string::npos);
  const int camera_frames = count_frames(camera_file(".mp4"));
  EXPECT_GE(camera_frames, 10);
  EXPECT_EQ(records_in(camera_file(".jsonl")).size(), static_cast<std::size_t>(camera_frames));
  EXPECT_EQ(count_frames(out.file("walk.mp4")), 6);
  EXPECT_EQ(records_in(out.file("walk.jsonl")).size(), 6u);
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
  };
  for (const auto& [arguments, message] : mistakes) {
    const auto [status, output] = run_script(arguments);
    EXPECT_NE(status, 0) << arguments;
    EXPECT_NE(output.find(message), std::string::npos) << arguments << ": " << output;
  }
}

}  // namespace
}  // namespace scorecam_test
