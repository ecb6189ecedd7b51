// scorecam-camera with several cameras, beyond recording: each camera served at a mount of its own
// on the runner's one RTSP server (--serve), each camera's results on an MQTT topic of its own
// (--mqtt), and stops that lose nothing: SIGTERM to the runner as PID 1 of a PID namespace (as in a
// container or a pod) finishes every camera's last segment, and SIGKILL loses at most each camera's
// segment in progress. Cameras, the broker and the clients are started by the tests on 127.0.0.1.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/camera_api.h"
#include "support/camera_runner.h"
#include "support/http_client.h"
#include "support/mosquitto.h"
#include "support/pipelines.h"
#include "support/rtsp_client.h"
#include "support/test_models.h"

namespace scorecam_test {
namespace {

using namespace std::chrono_literals;

const std::string kModel = "model-location=" + test_model("tiny_rgb.pt");

// Two cameras behind one runner's server, with a login: each at rtsp://ADDR:PORT/NAME, the same
// server; the user watches both, an anonymous client is refused on either.
TEST(Camera, EveryCameraIsServedAtAMountOfItsOwn) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  TempDir logs;
  CameraProcess runner({"--tcp", "--serve", "127.0.0.1:0", "--serve-user", "viewer", "--camera", "a=" + camera_a.url(),
                        "--camera", "b=" + camera_b.url(), kModel},
                       logs.file("runner.log"), {{"SCORECAM_SERVE_PASSWORD", "Two-Mounts"}});
  const std::string url_a = served_url(runner, "camera a: "), url_b = served_url(runner, "camera b: ");
  ASSERT_EQ(url_a.rfind("rtsp://127.0.0.1:", 0), 0u) << url_a << "\n" << runner.log();
  ASSERT_EQ(url_b, url_a.substr(0, url_a.size() - 1) + "b") << "not the same server:\n" << runner.log();
  EXPECT_EQ(url_a.substr(url_a.rfind('/')), "/a");
  {
    RtspClient anonymous(url_b);
    bool refused = false;
    const std::string error = anonymous.error_within(30s, &refused);
    EXPECT_TRUE(refused) << (error.empty() ? "no error within 30 s" : error);
    EXPECT_EQ(anonymous.frames(), 0);
  }
  RtspClient client_a(url_a, {"viewer", "Two-Mounts"}), client_b(url_b, {"viewer", "Two-Mounts"});
  EXPECT_TRUE(watches_the_camera(runner, client_a)) << "a: " << watched(client_a) << "\n" << runner.log();
  EXPECT_TRUE(watches_the_camera(runner, client_b)) << "b: " << watched(client_b) << "\n" << runner.log();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  EXPECT_EQ(runner.log().find("Two-Mounts"), std::string::npos) << runner.log();
}

// --mqtt with a login: each camera's records arrive on PREFIX/NAME, nothing on any other topic,
// and the password shows nowhere in the log.
TEST(Camera, EachCamerasResultsArriveOnATopicOfItsOwn) {
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  const BrokerSecurity security{{{"camera", "Mqtt-Secret 7"}}};
  MosquittoBroker broker(security);
  MqttSubscriber subscriber(broker.port(), "#", {"camera", "Mqtt-Secret 7"});
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s:\n" << broker.log();
  TempDir logs;
  std::ofstream(logs.file("mqtt-password")) << "Mqtt-Secret 7\n";
  CameraProcess runner({"--tcp", "--mqtt", broker.address(), "--mqtt-topic-prefix", "site/door", "--mqtt-user",
                        "camera", "--mqtt-password-file", logs.file("mqtt-password"), "--camera", "a=" + camera_a.url(),
                        "--camera", "b=" + camera_b.url(), kModel},
                       logs.file("runner.log"));
  for (const std::string topic : {"site/door/a", "site/door/b"})
    EXPECT_TRUE(wait_for(runner, [&] { return subscriber.messages(topic).size() >= 20; }, 60s))
        << "not 20 results on " << topic << " within 60 s:\n" << runner.log() << broker.log();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  // Each camera's own stream on its own topic: no stream-id on both.
  std::map<std::string, std::set<std::string>> topics_of_stream;
  for (const std::string topic : {"site/door/a", "site/door/b"}) {
    const auto messages = subscriber.messages(topic);
    ASSERT_FALSE(messages.empty()) << topic;
    for (const auto& message : messages) {
      const auto record = nlohmann::json::parse(message);
      EXPECT_TRUE(record.contains("frame") && record.contains("explained")) << topic << ": " << message;
      topics_of_stream[record.at("stream").get<std::string>()].insert(topic);
    }
  }
  for (const auto& [stream, topics] : topics_of_stream) EXPECT_EQ(topics.size(), 1u) << stream;
  EXPECT_TRUE(subscriber.messages("site/door/scorecam").empty());
  EXPECT_TRUE(subscriber.messages("scorecam/a").empty());
  EXPECT_EQ(runner.log().find("Mqtt-Secret"), std::string::npos) << runner.log();
}

// A camera added through the API (--api) gets its mount and its topic as those of the command line
// do; removed, its mount takes no new client.
TEST(Camera, ACameraAddedWhileItRunsIsServedAndPublishedToo) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port(), "scorecam/#");
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s:\n" << broker.log();
  TempDir logs;
  CameraProcess runner({"--tcp", "--api", "127.0.0.1:0", "--serve", "127.0.0.1:0", "--mqtt", broker.address(),
                        "--camera", "a=" + camera_a.url(), kModel},
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  const nlohmann::json b = {{"name", "b"}, {"url", camera_b.url()}};
  ASSERT_EQ(http_request(port, "POST", "/api/v1/cameras", b.dump()).status, 201) << runner.log();
  const std::string url_b = served_url(runner, "camera b: ");
  ASSERT_EQ(url_b.substr(0, url_b.rfind('/')), served_url(runner, "camera a: ").substr(0, url_b.rfind('/')))
      << "not the same server:\n" << runner.log();
  {
    RtspClient client_b(url_b);
    EXPECT_TRUE(watches_the_camera(runner, client_b)) << "b: " << watched(client_b) << "\n" << runner.log();
  }
  EXPECT_TRUE(wait_for(runner, [&] { return subscriber.messages("scorecam/b").size() >= 20; }, 60s))
      << "not 20 results on scorecam/b within 60 s:\n" << runner.log();

  ASSERT_EQ(http_request(port, "DELETE", "/api/v1/cameras/b").status, 200) << runner.log();
  RtspClient late(url_b);
  EXPECT_NE(late.error_within(30s), "") << "camera b's mount still serves after its removal";
  EXPECT_EQ(late.frames(), 0);
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

// Whether this test process can make a PID namespace; the launcher that does, or empty.
std::vector<std::string> pid_namespace_launcher() {
  const std::vector<std::vector<std::string>> launchers = {
      {"unshare", "--pid", "--fork", "--kill-child"},  // as root
      {"unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"}};  // through a user namespace
  for (const auto& launcher : launchers) {
    std::string line;
    for (const auto& word : launcher) line += word + " ";
    if (run_command(line + "true >/dev/null 2>&1").first == 0) return launcher;
  }
  return {};
}

// The process whose parent is `parent`, or -1.
pid_t child_of(pid_t parent) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;  // not a process
    const std::string stat = read_file(entry.path().string() + "/stat");
    const auto end_of_name = stat.rfind(')');
    if (end_of_name == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + end_of_name + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
      return static_cast<pid_t>(std::stoi(name));
  }
  return -1;
}

// The process's id in the innermost PID namespace it is in (the last of /proc/PID/status's NSpid).
std::string innermost_pid(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const auto start = status.find("NSpid:");
  if (start == std::string::npos) return "";
  const std::string line = status.substr(start, status.find('\n', start) - start);
  return line.substr(line.find_last_of(" \t") + 1);
}

// The runner as PID 1 of a PID namespace, as in a container or a pod: the kernel gives such a
// process no default action for SIGTERM, so only its own handler can make it stop. SIGTERM from
// outside the namespace (as a container runtime sends it) finishes every camera's last segment,
// and the runner exits with status 0.
TEST(Camera, SigtermToTheRunnerAsPid1FinishesEveryCamerasLastSegment) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  const auto launcher = pid_namespace_launcher();
  if (launcher.empty())
    GTEST_SKIP() << "cannot make a PID namespace here: `unshare --pid --fork` needs root, or user namespaces "
                    "(`unshare --user --map-root-user`), and neither worked";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  TempDir out, logs;
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency", "--camera",
                        "a=" + camera_a.url(), "--camera", "b=" + camera_b.url(), out.path(), kModel},
                       logs.file("runner.log"), {}, launcher);
  ASSERT_TRUE(wait_for(runner, [&] {
    return finished_segments_of(out.file("a"), 1) >= 1 && finished_segments_of(out.file("b"), 1) >= 1;
  }, 60s)) << "not a finished segment of each camera within 60 s:\n" << runner.log();
  const pid_t pid1 = child_of(runner.process().pid());
  ASSERT_GT(pid1, 0) << "no runner under " << launcher[0];
  ASSERT_EQ(innermost_pid(pid1), "1") << "the runner is not PID 1 of its namespace";
  ASSERT_EQ(kill(pid1, SIGTERM), 0);
  EXPECT_EQ(runner.process().wait(30s), 0) << "the runner as PID 1 did not exit with status 0 within 30 s of "
                                              "SIGTERM:\n" << runner.log();
  for (const std::string camera : {"a", "b"}) {
    EXPECT_TRUE(logged(runner, "camera " + camera + ": stopped: ")) << runner.log();
    expect_every_segment_plays(out.file(camera));  // the last one included: none is left partial
  }
}

// A stop does not wait for the element's frame in flight, which LibTorch cannot interrupt and no
// file would hold (here SS-CAM with 10000 samples a mask on the bundled model: minutes a frame):
// the segment in progress is finished, and the runner exits within the time that takes.
TEST(Camera, AStopDoesNotWaitForTheFrameInFlight) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera(camera_stream());
  ASSERT_TRUE(camera.ok());
  TempDir out, logs;
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency", "--camera",
                        "slow=" + camera.url(), out.path(), "method=sscam", "samples=10000"},
                       logs.file("runner.log"));
  ASSERT_TRUE(wait_for(runner, [&] { return finished_segments_of(out.file("slow"), 1) >= 1; }, 60s))
      << "no finished segment within 60 s:\n" << runner.log();
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  const double stopping = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  EXPECT_LT(stopping, 15) << "a stop waited for the frame in flight:\n" << runner.log();
  expect_every_segment_plays(out.file("slow"));
}

// The segment number of a segment file ("segment-000012.partial.mp4": 12).
long segment_number(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  const auto dash = name.find('-');
  return std::stol(name.substr(dash + 1, name.find('.') - dash - 1));
}

// SIGKILL mid-run: every video under its final name plays, every results file under its final
// name is whole (each line a record) with one record per frame of its video; what is not both
// finished belongs to one segment per camera at most, the one in progress.
TEST(Camera, SigkillLosesAtMostEachCamerasSegmentInProgress) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  TempDir out, logs;
  CameraProcess runner({"--tcp", "--segment-seconds", "1", "--encoder", encoder() + " tune=zerolatency", "--camera",
                        "a=" + camera_a.url(), "--camera", "b=" + camera_b.url(), out.path(), kModel},
                       logs.file("runner.log"));
  ASSERT_TRUE(wait_for(runner, [&] {
    return finished_segments_of(out.file("a"), 1) >= 2 && finished_segments_of(out.file("b"), 1) >= 2;
  }, 60s)) << "not 2 finished segments of each camera within 60 s:\n" << runner.log();
  runner.kill();
  for (const std::string camera : {"a", "b"}) {
    SCOPED_TRACE("camera " + camera);
    std::set<long> unfinished;
    int finished = 0;
    for (const auto& entry : std::filesystem::directory_iterator(out.file(camera))) {
      const std::filesystem::path file = entry.path();
      const std::string name = file.string();
      const bool partial = name.find(".partial.") != std::string::npos;
      const std::string video = name.substr(0, name.rfind('.')) + ".mp4";
      const bool pair = !partial && std::filesystem::exists(video) &&
                        std::filesystem::exists(name.substr(0, name.rfind('.')) + ".jsonl");
      if (!pair) unfinished.insert(segment_number(file));
      if (partial) continue;
      if (file.extension() == ".mp4") {
        const int frames = count_frames(name);
        EXPECT_GT(frames, 0) << name;
        if (pair) EXPECT_EQ(static_cast<int>(records(name.substr(0, name.size() - 4) + ".jsonl").size()), frames) << name;
        if (pair) ++finished;
      } else {
        EXPECT_NO_THROW(records(name)) << name << " is not whole";
      }
    }
    EXPECT_GE(finished, 2);
    EXPECT_LE(unfinished.size(), 1u) << "segments left unfinished by SIGKILL, besides the one in progress";
  }
}

}  // namespace
}  // namespace scorecam_test
