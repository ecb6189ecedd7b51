// scorecam-camera's HTTP API as its tests use it (camera_api_test.cpp, camera_page_test.cpp): the
// runner started with the options they share, the port it logs, and its list of cameras.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/camera_runner.h"
#include "support/http_client.h"
#include "support/pipelines.h"
#include "support/test_models.h"

namespace scorecam_test {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The port of the API that `runner` logs it listens on; -1 if it does not within 30 s.
inline int api_port(CameraProcess& runner) {
  const std::string listening = "HTTP API on http://127.0.0.1:";
  if (!wait_for(runner, [&] { return runner.log().find(listening) != std::string::npos; }, std::chrono::seconds(30)))
    return -1;
  const std::string log = runner.log();
  return std::stoi(log.substr(log.find(listening) + listening.size()));
}

// The runner's options the API's tests share: 1 s segments, quick reconnection, the tiny model.
inline std::vector<std::string> runner_args(std::vector<std::string> args) {
  std::vector<std::string> all = {"--tcp", "--segment-seconds", "1", "--retry-min", "0.2", "--retry-max", "0.5",
                                  "--stall-seconds", "5", "--encoder", encoder() + " tune=zerolatency"};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back("model-location=" + test_model("tiny_rgb.pt"));
  return all;
}

// GET `path`'s JSON, or null when it is not 200.
inline nlohmann::json get_json(int port, const std::string& path, const Headers& headers = {}) {
  const HttpReply reply = http_request(port, "GET", path, "", headers);
  if (reply.status != 200) return nlohmann::json();
  return nlohmann::json::parse(reply.body, nullptr, false);
}

// The camera called `name` in GET /api/v1/cameras, or null.
inline nlohmann::json camera_in_list(int port, const std::string& name, const Headers& headers = {}) {
  const nlohmann::json list = get_json(port, "/api/v1/cameras", headers);
  if (!list.is_object()) return nlohmann::json();
  for (const auto& camera : list.at("cameras"))
    if (camera.at("name") == name) return camera;
  return nlohmann::json();
}

}  // namespace scorecam_test
