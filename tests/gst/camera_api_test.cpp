// scorecam-camera --api against RTSP cameras the tests serve on 127.0.0.1: cameras added and
// removed while it runs show in /api/v1/cameras and /metrics, and a removed one's segments are all
// finished; requests it cannot take get a 4xx with a message, and a thousand of garbage leave it
// answering and every camera recording; beyond loopback it needs a token, and asks for it; a
// Prometheus server (Debian's) scrapes it and answers a query about a camera; each camera's newest
// explained frame is a JPEG, and the status page loads nothing from elsewhere (camera_page_test.cpp
// shows it in a browser).
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/camera_api.h"
#include "support/camera_runner.h"
#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/http_client.h"
#include "support/pipelines.h"
#include "support/test_models.h"

using scorecam_test::api_port;
using scorecam_test::camera_in_list;
using scorecam_test::camera_stream;
using scorecam_test::CameraProcess;
using scorecam_test::ChildProcess;
using scorecam_test::encoder;
using scorecam_test::expect_every_segment_plays;
using scorecam_test::free_port;
using scorecam_test::get_json;
using scorecam_test::HttpReply;
using scorecam_test::installed;
using scorecam_test::http_exchange;
using scorecam_test::http_request;
using scorecam_test::kCamera;
using scorecam_test::listening_on;
using scorecam_test::LocalRtspServer;
using scorecam_test::run_command;
using scorecam_test::runner_args;
using scorecam_test::segments;
using scorecam_test::TempDir;
using scorecam_test::test_model;
using scorecam_test::wait_for;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The value of the sample `series` ("name{labels}") in an exposition; NaN without one.
double sample(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return NAN;
  return std::stod(metrics.substr(at + series.size() + 2));
}

// promtool check metrics on `text`: its exit status and what it said.
std::pair<int, std::string> promtool_check(const std::string& text, const TempDir& dir) {
  std::ofstream(dir.file("metrics.txt")) << text;
  return run_command("promtool check metrics < " + dir.file("metrics.txt") + " 2>&1");
}

// Cameras added through the API mid-run and removed show in the list and in the metrics; the removed
// one's segments are all finished before its DELETE answers, each decoding to one record per frame.
TEST(CameraApi, CamerasAddedAndRemovedWhileItRunsShowInTheListAndTheMetrics) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  ASSERT_TRUE(installed("promtool")) << "promtool is missing: install Debian's package prometheus";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  TempDir out, logs;
  CameraProcess runner(runner_args({"--api", "127.0.0.1:0", "--camera", "a=" + camera_a.url(), out.path()}),
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();

  const json b_camera = {{"name", "b"}, {"url", camera_b.url()}, {"properties", {{"async", false}}}};
  const HttpReply added = http_request(port, "POST", "/api/v1/cameras", b_camera.dump());
  ASSERT_EQ(added.status, 201) << added.body << "\n" << runner.log();
  EXPECT_EQ(added.header("Location"), "/api/v1/cameras/b");
  EXPECT_EQ(json::parse(added.body).at("name"), "b");

  // Both record, and both show in the list and the metrics with frames in; one model, shared.
  const std::string users = "scorecam_model_users{model=\"" + test_model("tiny_rgb.pt") +
                            "\",device=\"cpu\",precision=\"auto\"}";
  std::string metrics;
  ASSERT_TRUE(wait_for(runner, [&] {
    const json a = camera_in_list(port, "a"), b = camera_in_list(port, "b");
    metrics = http_request(port, "GET", "/metrics").body;
    return !a.is_null() && !b.is_null() && a.at("state") == "connected" && b.at("state") == "connected" &&
           a.at("segments_finished") >= 1 && b.at("segments_finished") >= 1 &&
           sample(metrics, "scorecam_camera_frames_explained_total{camera=\"b\"}") > 0 &&
           sample(metrics, "scorecam_camera_latency_seconds_count{camera=\"a\"}") > 0 &&
           sample(metrics, users) == 2;
  }, 60s)) << "both cameras not connected, recording and in the metrics within 60 s:\n"
           << get_json(port, "/api/v1/cameras").dump(2) << "\n" << metrics << "\n" << runner.log();
  const auto [valid, checked] = promtool_check(metrics, logs);
  EXPECT_EQ(valid, 0) << checked << "\n" << metrics;
  EXPECT_GT(sample(metrics, "scorecam_camera_frames_in_total{camera=\"a\"}"), 0) << metrics;
  EXPECT_LE(sample(metrics, "scorecam_camera_latency_seconds{camera=\"a\",quantile=\"0.5\"}"),
            sample(metrics, "scorecam_camera_latency_seconds{camera=\"a\",quantile=\"0.99\"}")) << metrics;
  EXPECT_EQ(sample(metrics, "scorecam_camera_state{camera=\"b\",state=\"connected\"}"), 1) << metrics;
  const json b = camera_in_list(port, "b");
  EXPECT_EQ(b.at("model").at("users"), 2) << b.dump(2);
  EXPECT_TRUE(b.at("segment_in_progress").get<std::string>().find(out.file("b") + "/segment-") == 0) << b.dump(2);

  const HttpReply removed = http_request(port, "DELETE", "/api/v1/cameras/a");
  ASSERT_EQ(removed.status, 200) << removed.body << "\n" << runner.log();
  EXPECT_EQ(json::parse(removed.body).at("state"), "stopped") << removed.body;
  // Answered once its recording was finished: nothing of it is left partial.
  for (const auto& segment : segments(out.file("a"))) EXPECT_FALSE(segment.partial) << segment.video;
  EXPECT_TRUE(camera_in_list(port, "a").is_null());
  EXPECT_EQ(http_request(port, "DELETE", "/api/v1/cameras/a").status, 404);
  metrics = http_request(port, "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("camera=\"a\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("camera=\"b\""), std::string::npos) << metrics;
  // b records on alone.
  const double b_segments = sample(metrics, "scorecam_camera_segments_finished_total{camera=\"b\"}");
  ASSERT_TRUE(wait_for(runner, [&] {
    return sample(http_request(port, "GET", "/metrics").body, "scorecam_camera_segments_finished_total{camera=\"b\"}") >
           b_segments;
  }, 30s)) << runner.log();

  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  EXPECT_NE(runner.log().find("camera a: removed"), std::string::npos) << runner.log();
  expect_every_segment_plays(out.file("a"));
  expect_every_segment_plays(out.file("b"));
}

// GET /cameras/NAME/snapshot.jpg: 404 for an unknown camera and 503 before a camera's first
// explained frame, each with a message; then the newest explained frame, a JPEG that decodes, at
// most two new ones a second, its class and confidence in the camera's "newest_frame".
TEST(CameraApi, SnapshotIsTheNewestExplainedFrameAsAJpeg) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera(camera_stream());
  ASSERT_TRUE(camera.ok());
  TempDir out, logs;
  CameraProcess runner(runner_args({"--api", "0", "--camera", "door=" + camera.url(), out.path()}),
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  const auto error_of = [](const HttpReply& reply) {
    const json answer = json::parse(reply.body, nullptr, false);
    return answer.is_object() && answer.contains("error") ? answer.at("error").get<std::string>() : "";
  };
  const HttpReply unknown = http_request(port, "GET", "/cameras/nowhere/snapshot.jpg");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(error_of(unknown), "no camera named 'nowhere'") << unknown.body;
  const json gate = {{"name", "gate"}, {"url", "rtsp://127.0.0.1:1/x"}};  // refused: never a frame
  ASSERT_EQ(http_request(port, "POST", "/api/v1/cameras", gate.dump()).status, 201) << runner.log();
  const HttpReply none = http_request(port, "GET", "/cameras/gate/snapshot.jpg");
  EXPECT_EQ(none.status, 503) << none.body;
  EXPECT_EQ(error_of(none).find("camera gate has no explained frame yet"), 0u) << none.body;
  EXPECT_EQ(none.header("Retry-After"), "1");
  EXPECT_TRUE(camera_in_list(port, "gate").at("newest_frame").is_null());

  json door;
  ASSERT_TRUE(wait_for(runner, [&] {
    door = camera_in_list(port, "door");
    return !door.is_null() && !door.at("newest_frame").is_null();
  }, 60s)) << "no explained frame of door within 60 s: " << door.dump(2) << "\n" << runner.log();
  const auto started = std::chrono::steady_clock::now();
  const json first = door.at("newest_frame");
  EXPECT_EQ(first.at("snapshot"), "/cameras/door/snapshot.jpg") << first.dump();
  EXPECT_GE(first.at("class_id").get<int>(), 0) << first.dump();
  EXPECT_TRUE(first.at("class").is_string()) << first.dump();
  EXPECT_GE(first.at("confidence").get<double>(), 0.0) << first.dump();
  EXPECT_LE(first.at("confidence").get<double>(), 1.0) << first.dump();

  const HttpReply jpeg = http_request(port, "GET", "/cameras/door/snapshot.jpg?frame=1");
  ASSERT_EQ(jpeg.status, 200) << jpeg.body;
  EXPECT_EQ(jpeg.header("Content-Type"), "image/jpeg");
  EXPECT_EQ(jpeg.header("Cache-Control"), "no-store");
  ASSERT_GT(jpeg.body.size(), 4u);
  EXPECT_EQ(jpeg.body.substr(0, 3), "\xff\xd8\xff");  // a JPEG's start of image, then a marker
  EXPECT_EQ(jpeg.body.substr(jpeg.body.size() - 2), "\xff\xd9");  // its end of image
  std::ofstream(logs.file("door.jpg"), std::ios::binary) << jpeg.body;
  EXPECT_EQ(scorecam_test::count_frames(logs.file("door.jpg")), 1);

  // New frames keep coming, two a second at most: four more take over 1.5 s (the first of them
  // kept after the read above, each of the others at least 0.5 s after the one before).
  json later;
  ASSERT_TRUE(wait_for(runner, [&] {
    const json now = camera_in_list(port, "door");
    if (now.is_null()) return false;
    later = now.at("newest_frame");
    return later.at("number").get<int>() >= first.at("number").get<int>() + 4;
  }, 30s)) << later.dump() << "\n" << runner.log();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GE(seconds, 1.4) << later.dump();
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

// GET / is one page that loads nothing from elsewhere, and tells the browser so.
TEST(CameraApi, ServesAStatusPageThatLoadsNothingFromElsewhere) {
  TempDir out, logs;
  CameraProcess runner(runner_args({"--api", "0", out.path()}), logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  const HttpReply page = http_request(port, "GET", "/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Content-Security-Policy").find("default-src 'none'"), 0u) << page.headers;
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u) << page.body.substr(0, 200);
  EXPECT_NE(page.body.find("api/v1/cameras"), std::string::npos);
  for (const std::string elsewhere : {"http://", "https://", "\"//", "'//", "@import"})
    EXPECT_EQ(page.body.find(elsewhere), std::string::npos) << elsewhere;
  EXPECT_EQ(http_request(port, "POST", "/").status, 405);
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

// What the API cannot take gets the right 4xx with a message, and the runner goes on; it may
// start with no camera at all.
TEST(CameraApi, RefusesRequestsItCannotTakeWithAMessage) {
  TempDir out, logs;
  CameraProcess runner(runner_args({"--api", "0", out.path()}), logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  const auto camera = [](const std::string& name, const std::string& url, const json& properties = json::object()) {
    return json{{"name", name}, {"url", url}, {"properties", properties}}.dump();
  };
  const std::string unreachable = "rtsp://127.0.0.1:1/x";  // refused: it reconnects, which is fine here
  ASSERT_EQ(http_request(port, "POST", "/api/v1/cameras", camera("door", unreachable)).status, 201) << runner.log();
  struct Mistake {
    std::string method, path, body;
    int status;
    std::string message;
  };
  const std::vector<Mistake> mistakes = {
      {"POST", "/api/v1/cameras", camera("gate", "http://admin:Hidden@127.0.0.1/x"), 400,
       "camera gate: 'http://admin:***@127.0.0.1/x' is not an rtsp:// URL"},
      {"POST", "/api/v1/cameras", camera("a.b", unreachable), 400, "'a.b' is not a camera name"},
      {"POST", "/api/v1/cameras", camera("door", unreachable), 409, "a camera named 'door' exists ("},
      {"POST", "/api/v1/cameras", camera("gate", unreachable, {{"no-such-property", 1}}), 400,
       "camera gate: 'no-such-property' is not a scorecamoverlay property"},
      {"POST", "/api/v1/cameras", camera("gate", unreachable, {{"batch-size", "many"}}), 400,
       "batch-size=many: batch-size needs a value of type gint from 1 to 4096"},
      {"POST", "/api/v1/cameras", camera("gate", unreachable, {{"model-users", 3}}), 400, "'model-users' is read-only"},
      {"POST", "/api/v1/cameras", camera("gate", unreachable, {{"alpha", json::array()}}), 400,
       "property 'alpha' must be a string, a number or a boolean"},
      {"POST", "/api/v1/cameras", "{\"name\": \"gate\",", 400, "the body is not the JSON asked for"},
      {"POST", "/api/v1/cameras", "[1, 2]", 400, "the body must be a JSON object"},
      {"POST", "/api/v1/cameras", "{\"name\": \"gate\"}", 400, "give \"url\" as a string"},
      {"POST", "/api/v1/cameras", "{\"name\": \"gate\", \"url\": \"" + unreachable + "\", \"colour\": 1}", 400,
       "unknown field \"colour\""},
      {"PUT", "/api/v1/cameras", "", 405, "PUT is not a method of /api/v1/cameras (it takes GET, POST)"},
      {"PATCH", "/api/v1/cameras/door", "", 405, "PATCH is not a method of /api/v1/cameras/door"},
      {"POST", "/metrics", "", 405, "POST is not a method of /metrics"},
      {"GET", "/api/v2/cameras", "", 404, "no such path: /api/v2/cameras"},
      {"GET", "/api/v1/cameras/", "", 404, "no such path"},
      {"GET", "/api/v1/cameras/gate", "", 404, "no camera named 'gate'"},
      {"DELETE", "/api/v1/cameras/gate", "", 404, "no camera named 'gate'"},
      {"POST", "/api/v1/cameras", std::string(70 * 1024, 'x'), 413, "the body is larger than 65536 bytes"}};
  for (const auto& [method, path, body, status, message] : mistakes) {
    const HttpReply reply = http_request(port, method, path, body);
    EXPECT_EQ(reply.status, status) << method << " " << path << " " << body.substr(0, 80) << ": " << reply.body;
    const json answer = json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(answer.is_object() && answer.contains("error")) << method << " " << path << ": " << reply.body;
    EXPECT_NE(answer.at("error").get<std::string>().find(message), std::string::npos)
        << method << " " << path << " " << body.substr(0, 80) << ": " << reply.body;
    EXPECT_EQ(reply.body.find("Hidden"), std::string::npos) << reply.body;
  }
  EXPECT_EQ(http_request(port, "PUT", "/api/v1/cameras").header("Allow"), "GET, POST");
  // A body without a length cannot be sized before it is read: refused unread.
  const HttpReply chunked =
      http_exchange(port, "POST /api/v1/cameras HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                          "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.status, 411) << chunked.body;

  // Still serving, with the one camera it took; nothing was made for the others.
  const HttpReply health = http_request(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(json::parse(health.body).at("cameras").size(), 1u) << health.body;
  EXPECT_FALSE(std::filesystem::exists(out.file("gate")));
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  EXPECT_EQ(runner.log().find("Hidden"), std::string::npos) << runner.log();
}

// A request of random bytes where a client would put a method, a path, headers and a body; honest
// when its Content-Length is its body's and it has the shape of a request.
struct Garbage {
  std::string request;
  bool honest = true;
};

Garbage garbage_request(std::mt19937& random) {
  const auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  const auto noise = [&](std::size_t most) {
    std::string text(random() % (most + 1), ' ');
    for (auto& c : text) c = static_cast<char>(random() % 256);
    return text;
  };
  const auto word = [&](std::size_t most) {
    std::string text(1 + random() % most, 'a');
    for (auto& c : text) c = "abcdefghijklmnopqrstuvwxyz0123456789-_.%~/?=&:"[random() % 46];
    return text;
  };
  const std::string method = pick({"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
                                   word(8), noise(6)});
  const std::string path = pick({"/api/v1/cameras", "/api/v1/cameras/" + word(12), "/metrics", "/healthz", "/",
                                 "/api/v1/cameras/" + noise(10), "/" + word(40), "/../../etc/passwd",
                                 "/api/v1/cameras?" + word(20), noise(30), "*"});
  const std::string version = pick({"HTTP/1.1", "HTTP/1.0", "HTTP/9.9", noise(8), ""});
  std::string request = method + " " + path + " " + version + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  const int headers = random() % 4;
  for (int i = 0; i < headers; ++i) {
    request += pick({"X-" + word(10), "Content-Type", "Authorization", "Expect", "Content-Encoding", noise(10)}) +
               ": " + pick({word(30), noise(30), "100-continue", "Bearer " + word(20), "gzip"}) + "\r\n";
  }
  const std::string camera = "{\"name\": \"" + word(10) + "\", \"url\": \"" + noise(20) + "\"}";
  std::string body = pick({"", noise(200), word(100), camera,
                           "{\"name\": " + std::to_string(random()) + "}", "[[[[[[[[[[", "{\"properties\": {}}"});
  if (random() % 20 == 0) return {noise(300), false};
  if (random() % 8 == 0) {  // a length that lies
    const std::string length = pick({std::to_string(body.size() + 1000), "-5", word(5), "99999999999999999999"});
    return {request + "Content-Length: " + length + "\r\n\r\n" + body, false};
  }
  return {request + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body, true};
}

// A thousand requests of garbage (random methods, paths, headers and bodies, some not HTTP at all)
// leave the runner answering, and every camera recording on its first connection.
TEST(CameraApi, GarbageLeavesItAnsweringAndEveryCameraRecording) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer camera_a(camera_stream()), camera_b(camera_stream());
  ASSERT_TRUE(camera_a.ok() && camera_b.ok());
  TempDir out, logs;
  CameraProcess runner(runner_args({"--api", "0", "--camera", "a=" + camera_a.url(), "--camera",
                                    "b=" + camera_b.url(), out.path()}),
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  const auto finished = [&](const std::string& name) {
    const json camera = camera_in_list(port, name);
    return camera.is_null() ? -1 : camera.at("segments_finished").get<int>();
  };
  ASSERT_TRUE(wait_for(runner, [&] { return finished("a") >= 1 && finished("b") >= 1; }, 60s)) << runner.log();

  std::mt19937 random(20261205);
  int honest = 0;
  for (int i = 0; i < 1000; ++i) {
    const Garbage garbage = garbage_request(random);
    const HttpReply reply = http_exchange(port, garbage.request, 5s, true);
    ASSERT_TRUE(runner.running()) << "request " << i << " ended the runner:\n" << runner.log();
    // Each request of the right shape is answered, whatever it holds; none makes a handler throw.
    if (garbage.honest) {
      ++honest;
      EXPECT_GT(reply.status, 0) << "request " << i << " had no answer (" << reply.error << "):\n" << garbage.request;
    }
    EXPECT_NE(reply.status, 500) << "request " << i << ": " << reply.body << "\n" << garbage.request;
  }
  EXPECT_GT(honest, 700);

  const HttpReply health = http_request(port, "GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  const int a_before = finished("a"), b_before = finished("b");
  ASSERT_TRUE(wait_for(runner, [&] { return finished("a") > a_before && finished("b") > b_before; }, 30s))
      << "not every camera recorded on after the garbage:\n" << get_json(port, "/api/v1/cameras").dump(2) << "\n"
      << runner.log();
  for (const std::string name : {"a", "b"}) {
    const json camera = camera_in_list(port, name);
    EXPECT_EQ(camera.at("state"), "connected") << camera.dump(2);
    EXPECT_EQ(camera.at("reconnections"), 0) << camera.dump(2);
  }
  EXPECT_EQ(get_json(port, "/api/v1/cameras").at("cameras").size(), 2u);  // garbage added none
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

// Loopback by default; another address only with a token, which every request must then send
// (also on loopback, when one is given).
TEST(CameraApi, BeyondLoopbackItNeedsATokenAndAsksForIt) {
  TempDir out, logs;
  std::ofstream(logs.file("token")) << "0123456789abcdef0123456789abcdef\n";
  std::ofstream(logs.file("short")) << "secret\n";
  const std::string dir = " " + out.path();
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {" --api 0.0.0.0:0" + dir, "--api 0.0.0.0:0 would let anyone who reaches 0.0.0.0 add and remove cameras: give "
                                 "--api-token-file FILE"},
      {" --api 0.0.0.0:0 --api-token-file " + logs.file("short") + dir, "the token has 6 characters; give at least 16"},
      {" --api 0 --api-token-file /nonexistent/token" + dir,
       "cannot read a token from --api-token-file /nonexistent/token"},
      {" --api-token-file " + logs.file("token") + " --camera a=rtsp://127.0.0.1:1/x" + dir,
       "--api-token-file needs --api"},
      {" --api 65536" + dir, "--api takes [ADDRESS:]PORT with a port from 0 to 65535"},
      {" --api 0 rtsp://127.0.0.1:1/x" + dir, "--api adds and removes cameras by name: give --camera NAME=URL"}};
  for (const auto& [args, message] : mistakes) {
    const auto [status, output] = run_command(kCamera + args + " 2>&1");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << args << ": " << output;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
  }

  {
    CameraProcess runner(runner_args({"--api", "0", out.path()}), logs.file("loopback.log"));
    const int port = api_port(runner);
    ASSERT_GT(port, 0) << runner.log();
    EXPECT_EQ(listening_on(port), "127.0.0.1:" + std::to_string(port) + "\n");
    EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  }

  CameraProcess runner(runner_args({"--api", "0.0.0.0:0", "--api-token-file", logs.file("token"), out.path()}),
                       logs.file("token.log"));
  const std::string listening = "HTTP API on http://0.0.0.0:";
  ASSERT_TRUE(wait_for(runner, [&] { return runner.log().find(listening) != std::string::npos; }, 30s)) << runner.log();
  const std::string log = runner.log();
  const int port = std::stoi(log.substr(log.find(listening) + listening.size()));
  EXPECT_NE(log.find("(token required)"), std::string::npos) << log;
  EXPECT_EQ(listening_on(port), "0.0.0.0:" + std::to_string(port) + "\n");
  for (const std::string& given : {std::string(), std::string("Bearer wrong"), std::string("Bearer 0123456789abcdef"),
                                   std::string("Basic MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!given.empty()) headers.emplace_back("Authorization", given);
    for (const std::string path : {"/api/v1/cameras", "/metrics", "/healthz", "/nowhere", "/cameras/a/snapshot.jpg"}) {
      const HttpReply reply = http_request(port, "GET", path, "", headers);
      EXPECT_EQ(reply.status, 401) << "'" << given << "' " << path << ": " << reply.body;
      EXPECT_EQ(reply.header("WWW-Authenticate"), "Bearer");
    }
    const HttpReply post = http_request(port, "POST", "/api/v1/cameras", "{}", headers);
    EXPECT_EQ(post.status, 401) << post.body;
  }
  const HttpReply allowed = http_request(port, "GET", "/api/v1/cameras", "",
                                         {{"Authorization", "Bearer 0123456789abcdef0123456789abcdef"}});
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  // The status page holds nothing but itself: it needs no token (its requests do).
  EXPECT_EQ(http_request(port, "GET", "/").status, 200);
  EXPECT_EQ(http_request(port, "POST", "/").status, 401);
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
  EXPECT_EQ(runner.log().find("0123456789abcdef"), std::string::npos) << runner.log();
}

// Debian's Prometheus scrapes the runner every second; a camera's series reads back through
// Prometheus' own query API with a value the runner could have had.
TEST(CameraApi, PrometheusScrapesItAndAnswersAQueryAboutACamera) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  ASSERT_TRUE(installed("prometheus")) << "prometheus is missing: install Debian's package prometheus";
  LocalRtspServer camera(camera_stream());
  ASSERT_TRUE(camera.ok());
  TempDir out, logs, storage;
  CameraProcess runner(runner_args({"--api", "0", "--camera", "door=" + camera.url(), out.path()}),
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();

  std::ofstream(logs.file("prometheus.yml")) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                                "scrape_configs:\n  - job_name: scorecam\n    static_configs:\n"
                                                "      - targets: ['127.0.0.1:" << port << "']\n";
  const int prometheus_port = free_port();
  ChildProcess prometheus({"prometheus", "--config.file=" + logs.file("prometheus.yml"),
                           "--storage.tsdb.path=" + storage.path(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                          logs.file("prometheus.log"));
  ASSERT_TRUE(prometheus.started()) << prometheus.error();
  // frames_in_total{camera="door"}, URL-encoded.
  const std::string query = "/api/v1/query?query=scorecam_camera_frames_in_total%7Bcamera%3D%22door%22%7D";
  double scraped = NAN;
  const bool read_back = scorecam_test::wait_until([&] {
    const HttpReply reply = http_request(prometheus_port, "GET", query);
    const json answer = json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || !answer.is_object() || answer.value("status", "") != "success") return false;
    const json& result = answer.at("data").at("result");
    if (result.empty()) return false;
    scraped = std::stod(result[0].at("value")[1].get<std::string>());  // [time, "value"]
    return scraped > 0;
  }, 60s, 200ms);
  ASSERT_TRUE(read_back) << "Prometheus had no frames of camera door within 60 s:\n"
                         << scorecam_test::read_file(logs.file("prometheus.log")) << "\n" << runner.log();
  // At most what the runner has counted since, and no fewer than a few frames of a 30 fps camera.
  const json now = camera_in_list(port, "door");
  EXPECT_LE(scraped, now.at("frames_in").get<double>()) << now.dump(2);
  EXPECT_GE(scraped, 1);
  // The scrape itself was healthy: up == 1.
  const HttpReply up_reply = http_request(prometheus_port, "GET", "/api/v1/query?query=up");
  const json up = json::parse(up_reply.body, nullptr, false);
  ASSERT_TRUE(up.is_object() && up.contains("data")) << up_reply.status << " " << up_reply.body;
  ASSERT_FALSE(up.at("data").at("result").empty()) << up.dump();
  EXPECT_EQ(up.at("data").at("result")[0].at("value")[1], "1") << up.dump();
  EXPECT_EQ(prometheus.stop(SIGTERM), 0) << scorecam_test::read_file(logs.file("prometheus.log"));
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

}  // namespace
