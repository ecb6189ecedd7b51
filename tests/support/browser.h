// A real browser for the tests of scorecam-camera's status page: headless Chromium driven through
// chromedriver (Debian's chromium and chromium-driver) over the W3C WebDriver protocol, which is
// JSON over HTTP on 127.0.0.1, spoken with the tests' own client (support/http_client.h). A fresh
// profile, and none of the browser's background connections: on a machine without a network they
// make it hang.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <glib.h>
#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/http_client.h"
#include "support/pipelines.h"
#include "support/wait.h"

namespace scorecam_test {

class Browser {
 public:
  // `directory`: the profile, and chromedriver's log (chromedriver.log). A window of `width` x
  // `height` pixels.
  explicit Browser(const std::string& directory, int width = 1280, int height = 900)
      : port_(free_port()),
        driver_({"chromedriver", "--port=" + std::to_string(port_)}, directory + "/chromedriver.log") {
    if (!driver_.started()) {
      error_ = driver_.error();
      return;
    }
    if (!wait_until([&] { return http_request(port_, "GET", "/status").status == 200; }, std::chrono::seconds(30),
                    std::chrono::milliseconds(100))) {
      error_ = "chromedriver did not answer within 30 s:\n" + read_file(directory + "/chromedriver.log");
      return;
    }
    const std::string chromium = run_command("command -v chromium").second;
    const nlohmann::json arguments = {
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + directory + "/profile",
        "--window-size=" + std::to_string(width) + "," + std::to_string(height)};
    const nlohmann::json options = {{"binary", chromium.substr(0, chromium.find('\n'))}, {"args", arguments}};
    const nlohmann::json capabilities = {{"alwaysMatch", {{"goog:chromeOptions", options}}}};
    const auto session = command("POST", "/session", {{"capabilities", capabilities}}, std::chrono::seconds(60));
    if (session) session_ = "/session/" + session->at("sessionId").get<std::string>();
  }

  ~Browser() {
    if (!session_.empty()) command("DELETE", session_);  // closes Chromium
    driver_.stop(SIGTERM);
  }
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  bool ok() const { return !session_.empty(); }
  // What the last command that failed said (WebDriver's error and message).
  const std::string& error() const { return error_; }

  bool open(const std::string& url) { return command("POST", path("/url"), {{"url", url}}).has_value(); }

  // The value the JavaScript function body `script` returns ("return document.title;") in the page.
  std::optional<nlohmann::json> run(const std::string& script) {
    return command("POST", path("/execute/sync"), {{"script", script}, {"args", nlohmann::json::array()}});
  }

  // The first element that matches the CSS `selector`, clicked as a user would (scrolled into view,
  // a real mouse event): false when there is none, or it cannot be clicked.
  bool click(const std::string& selector) {
    const auto element = find(selector);
    return element && command("POST", path("/element/" + *element + "/click"), nlohmann::json::object());
  }

  // Types `text` into the first element that matches `selector`.
  bool type(const std::string& selector, const std::string& text) {
    const auto element = find(selector);
    return element && command("POST", path("/element/" + *element + "/value"), {{"text", text}});
  }

  // The text of the dialog open (confirm(), alert()), or nothing.
  std::optional<std::string> dialog() {
    const auto text = command("GET", path("/alert/text"));
    return text ? std::optional<std::string>(text->get<std::string>()) : std::nullopt;
  }
  bool accept_dialog() { return command("POST", path("/alert/accept"), nlohmann::json::object()).has_value(); }

  // What the window shows, as PNG; empty when it cannot be taken.
  std::string screenshot() {
    const auto base64 = command("GET", path("/screenshot"));
    if (!base64) return "";
    gsize size = 0;
    guchar* png = g_base64_decode(base64->get<std::string>().c_str(), &size);
    std::string bytes(reinterpret_cast<const char*>(png), size);
    g_free(png);
    return bytes;
  }

 private:
  std::string path(const std::string& command) const { return session_ + command; }

  std::optional<std::string> find(const std::string& selector) {
    const auto found = command("POST", path("/element"), {{"using", "css selector"}, {"value", selector}});
    if (!found) return std::nullopt;
    return found->begin().value().get<std::string>();  // {"element-6066-...": ID}
  }

  // WebDriver's "value" of the command's answer; nothing, with error() saying why, on an error.
  std::optional<nlohmann::json> command(const std::string& method, const std::string& path,
                                        const nlohmann::json& body = nullptr,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const HttpReply reply = http_request(port_, method, path, body.is_null() ? "" : body.dump(),
                                         {{"Content-Type", "application/json"}}, timeout);
    const nlohmann::json answer = nlohmann::json::parse(reply.body, nullptr, false);
    if (reply.status == 200 && answer.is_object() && answer.contains("value")) return answer.at("value");
    error_ = method + " " + path + ": " + std::to_string(reply.status) + " " + reply.error + " " + reply.body;
    return std::nullopt;
  }

  int port_;
  ChildProcess driver_;
  std::string session_;
  std::string error_;
};

}  // namespace scorecam_test
