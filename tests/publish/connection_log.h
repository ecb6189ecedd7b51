// What an MqttPublisher reported about its connection, with waits (10 s) for the next reports.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "scorecam/publish/mqtt_publisher.h"

namespace scorecam_test {

class ConnectionLog {
 public:
  using Event = scorecam::publish::ConnectionEvent;

  scorecam::publish::ConnectionListener listener() {
    return [this](Event event, const std::string& detail) {
      std::lock_guard<std::mutex> lock(lock_);
      reports_[static_cast<int>(event)].push_back(detail);
      changed_.notify_all();
    };
  }
  bool wait_downs(std::size_t count) { return wait(Event::down, count); }
  bool wait_ups(std::size_t count) { return wait(Event::up, count); }
  bool wait_refusals(std::size_t count) { return wait(Event::refused, count); }
  std::vector<std::string> downs() { return reports(Event::down); }
  std::vector<std::string> ups() { return reports(Event::up); }
  std::vector<std::string> refusals() { return reports(Event::refused); }

 private:
  bool wait(Event event, std::size_t count) {
    std::unique_lock<std::mutex> lock(lock_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return reports_[static_cast<int>(event)].size() >= count; });
  }
  std::vector<std::string> reports(Event event) {
    std::lock_guard<std::mutex> lock(lock_);
    return reports_[static_cast<int>(event)];
  }

  std::mutex lock_;
  std::condition_variable changed_;
  std::vector<std::string> reports_[3];  // per Event
};

}  // namespace scorecam_test
