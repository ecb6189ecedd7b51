// scorecam-camera's status page (GET /) in a real browser: headless Chromium, driven through
// chromedriver, loads it from a runner with a token and two cameras the test serves on 127.0.0.1.
// The page asks for the token and takes it; both cameras' snapshots (decoded images) and states
// appear; a camera removed with the page's own button (and its confirmation) leaves the page and
// the API; the form adds a camera, and shows the API's message for one it cannot take.
// SCORECAM_PAGE_SCREENSHOT=FILE also writes what the browser showed with both cameras, as PNG.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/browser.h"
#include "support/camera_api.h"
#include "support/camera_runner.h"
#include "support/gst_util.h"
#include "support/pipelines.h"

using scorecam_test::api_port;
using scorecam_test::Browser;
using scorecam_test::camera_in_list;
using scorecam_test::camera_stream;
using scorecam_test::CameraProcess;
using scorecam_test::encoder;
using scorecam_test::Headers;
using scorecam_test::installed;
using scorecam_test::LocalRtspServer;
using scorecam_test::runner_args;
using scorecam_test::TempDir;
using scorecam_test::wait_until;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// What the page shows of each camera: {NAME: {state, width (of the decoded snapshot), placeholder
// (whether "no explained frame yet" shows), result, frames}}, the message line and whether it asks
// for the token.
constexpr char kWhatThePageShows[] = R"(
  const cameras = {};
  for (const c of document.querySelectorAll('.camera')) {
    const img = c.querySelector('img.snapshot');
    cameras[c.dataset.camera] = {
      state: c.querySelector('.state').textContent,
      width: img.complete ? img.naturalWidth : 0,
      placeholder: c.querySelector('.placeholder').checkVisibility(),
      result: c.querySelector('.result').textContent,
      frames: c.querySelector('.frames_in').textContent};
  }
  return {cameras, message: document.querySelector('#message').textContent,
          asks_for_token: !document.querySelector('#token-panel').hidden};)";

bool shown_connected_with_snapshot(const json& page, const std::string& name) {
  if (!page.contains(name)) return false;
  const json& camera = page.at(name);
  return camera.at("state") == "connected" && camera.at("width").get<int>() > 0 &&
         !camera.at("placeholder").get<bool>() && !camera.at("result").get<std::string>().empty();
}

TEST(CameraPage, ShowsEveryCameraAndRemovesOneWithItsButton) {
  ASSERT_TRUE(installed("chromium") && installed("chromedriver"))
      << "no real browser to test the page in: install Debian's packages chromium and chromium-driver";
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  LocalRtspServer door(camera_stream()), yard(camera_stream());
  ASSERT_TRUE(door.ok() && yard.ok());
  TempDir out, logs, browser_files;
  const std::string token = "0123456789abcdef0123456789abcdef";
  std::ofstream(logs.file("token")) << token << "\n";
  const Headers authorized = {{"Authorization", "Bearer " + token}};
  CameraProcess runner(runner_args({"--api", "0", "--api-token-file", logs.file("token"), "--camera",
                                    "door=" + door.url(), "--camera", "yard=" + yard.url(), out.path()}),
                       logs.file("runner.log"));
  const int port = api_port(runner);
  ASSERT_GT(port, 0) << runner.log();
  Browser browser(browser_files.path());
  ASSERT_TRUE(browser.ok()) << browser.error();
  json page;
  const auto page_shows = [&](const std::function<bool()>& done) {
    const auto shown = browser.run(kWhatThePageShows);
    if (!shown) return false;
    page = *shown;
    return done();
  };

  // The page needs no token; its requests do: it asks for the token, and takes it.
  ASSERT_TRUE(browser.open("http://127.0.0.1:" + std::to_string(port) + "/")) << browser.error();
  ASSERT_TRUE(wait_until([&] { return page_shows([&] { return page.at("asks_for_token").get<bool>(); }); }, 20s))
      << "the page did not ask for the token within 20 s: " << page.dump(2) << "\n" << browser.error();
  ASSERT_TRUE(browser.type("#token", token) && browser.click("#token-form button")) << browser.error();

  // Both cameras, each with its state, its class and a snapshot the browser decoded.
  ASSERT_TRUE(wait_until([&] {
    return page_shows([&] {
      return shown_connected_with_snapshot(page.at("cameras"), "door") &&
             shown_connected_with_snapshot(page.at("cameras"), "yard");
    });
  }, 60s, 200ms)) << "both cameras not shown connected with a snapshot within 60 s: " << page.dump(2) << "\n"
                  << browser.error() << "\n" << runner.log();
  EXPECT_FALSE(page.at("asks_for_token").get<bool>());
  EXPECT_EQ(page.at("cameras").at("door").at("width"), 160) << page.dump(2);  // the camera's frame, as it is
  const std::string png = browser.screenshot();
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << browser.error();
  if (const char* file = std::getenv("SCORECAM_PAGE_SCREENSHOT")) std::ofstream(file, std::ios::binary) << png;

  // Removed with its button, once confirmed: gone from the page and from the API; the other stays.
  ASSERT_TRUE(browser.click(".camera[data-camera='door'] button.remove")) << browser.error();
  std::optional<std::string> asked;
  ASSERT_TRUE(wait_until([&] { return (asked = browser.dialog()).has_value(); }, 10s)) << browser.error();
  EXPECT_NE(asked->find("Remove camera door?"), std::string::npos) << *asked;
  ASSERT_TRUE(browser.accept_dialog()) << browser.error();
  ASSERT_TRUE(wait_until([&] {
    return page_shows([&] { return !page.at("cameras").contains("door") && page.at("cameras").contains("yard"); });
  }, 30s)) << "door still on the page 30 s after its removal: " << page.dump(2) << "\n" << runner.log();
  EXPECT_NE(page.at("message").get<std::string>().find("Camera door removed"), std::string::npos) << page.dump(2);
  EXPECT_TRUE(camera_in_list(port, "door", authorized).is_null());
  EXPECT_FALSE(camera_in_list(port, "yard", authorized).is_null());

  // Added with the form, properties and all; one it cannot take gets the API's message.
  const auto add = [&](const std::string& name, const std::string& url, const std::string& properties) {
    return browser.type("#add-form input[name=name]", name) && browser.type("#add-form input[name=url]", url) &&
           browser.type("#add-form input[name=properties]", properties) && browser.click("#add-form button");
  };
  ASSERT_TRUE(add("gate", door.url(), "alpha=0.6 show-label=false")) << browser.error();
  ASSERT_TRUE(wait_until([&] { return page_shows([&] { return page.at("cameras").contains("gate"); }); }, 30s))
      << page.dump(2) << "\n" << runner.log();
  EXPECT_EQ(page.at("message"), "Camera gate added.") << page.dump(2);
  EXPECT_FALSE(camera_in_list(port, "gate", authorized).is_null());
  ASSERT_TRUE(add("gate", door.url(), "")) << browser.error();
  ASSERT_TRUE(wait_until([&] {
    return page_shows([&] { return page.at("message").get<std::string>().find("not added") != std::string::npos; });
  }, 30s)) << page.dump(2);
  EXPECT_NE(page.at("message").get<std::string>().find("Camera gate was not added: a camera named 'gate' exists"),
            std::string::npos) << page.dump(2);
  EXPECT_EQ(runner.interrupt(), 0) << runner.log();
}

}  // namespace
