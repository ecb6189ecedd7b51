// An MQTT broker (mosquitto) run by the test on 127.0.0.1 on a port of its own, stoppable and
// restartable on the same port, and a subscriber that collects what arrives per topic. No GStreamer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/wait.h"

namespace scorecam_test {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

// A fresh directory under $TMPDIR, removed with everything in it.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "scorecam-mqtt-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch directory");
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline int connect_to_local_port(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  close(fd);
  return result;
}

// A port nobody listens on now: bound to port 0, the kernel's choice read back, released.
inline int free_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// mosquitto with a listener on 127.0.0.1:port only and anonymous access. Persistence keeps a
// subscriber's session (its subscription and the QoS 1 messages queued for it) across stop() with
// SIGTERM and start(), as a broker restarted by its service manager would.
class MosquittoBroker {
 public:
  explicit MosquittoBroker(bool start_now = true) : port_(free_local_port()) {
    std::ofstream(directory_.file("mosquitto.conf"))
        << "listener " << port_ << " 127.0.0.1\n"
        << "allow_anonymous true\n"
        << "persistence true\n"
        << "persistence_location " << directory_.file("") << "\n"
        << "user " << getpwuid(getuid())->pw_name << "\n";
    if (start_now) start();
  }
  ~MosquittoBroker() { stop(SIGKILL); }
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(directory_.file("mosquitto.log"));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Starts it and waits until it accepts connections (throws after 10 s).
  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kMosquitto, "-c", directory_.file("mosquitto.conf")}, directory_.file("mosquitto.log"));
    const bool listening =
        wait_until([this] { return !process_->running() || connect_to_local_port(port_) == 0; },
                   std::chrono::seconds(10)) &&
        process_->running();
    if (!listening) {
      const std::string error = process_->error();
      process_.reset();
      throw std::runtime_error("mosquitto did not listen on port " + std::to_string(port_) + " within 10 s " + error +
                               ":\n" + log());
    }
  }

  // SIGTERM: a clean shutdown that saves the sessions; SIGKILL: a crash.
  void stop(int signal = SIGTERM) {
    if (process_) process_->stop(signal);
    process_.reset();
  }

 private:
  ScratchDirectory directory_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// Subscribes to `filter` at QoS 1 with a persistent session (so that messages published while it
// reconnects after a broker restart wait for it) and collects the payloads per topic.
class MqttSubscriber {
 public:
  MqttSubscriber(int port, std::string filter = "#") : filter_(std::move(filter)) {
    mosquitto_lib_init();
    static int count = 0;
    const std::string id = "scorecam-test-" + std::to_string(getpid()) + "-" + std::to_string(++count);
    client_ = mosquitto_new(id.c_str(), false, this);
    mosquitto_connect_callback_set(client_, &MqttSubscriber::on_connect);
    mosquitto_subscribe_callback_set(client_, &MqttSubscriber::on_subscribe);
    mosquitto_message_callback_set(client_, &MqttSubscriber::on_message);
    mosquitto_reconnect_delay_set(client_, 1, 1, false);
    mosquitto_connect(client_, "127.0.0.1", port, 10);
    mosquitto_loop_start(client_);
  }
  ~MqttSubscriber() {
    mosquitto_disconnect(client_);
    mosquitto_loop_stop(client_, false);
    mosquitto_destroy(client_);
  }
  MqttSubscriber(const MqttSubscriber&) = delete;
  MqttSubscriber& operator=(const MqttSubscriber&) = delete;

  // Until the broker has confirmed the subscription.
  bool wait_subscribed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(lock_);
    return arrived_.wait_for(lock, timeout, [this] { return subscribed_; });
  }

  // Until `count` messages, repeats included, have arrived on `topic`.
  bool wait_for(const std::string& topic, std::size_t count,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(lock_);
    return arrived_.wait_for(lock, timeout, [&] { return messages_[topic].size() >= count; });
  }

  // Until `count` different messages have arrived on `topic`. At QoS 1 a message may arrive more
  // than once (when a reconnection interrupts its acknowledgement): counted with its repeats,
  // `count` can be reached before every message has come.
  bool wait_for_distinct(const std::string& topic, std::size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(lock_);
    return arrived_.wait_for(lock, timeout, [&] {
      const auto& messages = messages_[topic];
      return std::set<std::string>(messages.begin(), messages.end()).size() >= count;
    });
  }

  std::vector<std::string> messages(const std::string& topic) {
    std::lock_guard<std::mutex> lock(lock_);
    return messages_[topic];
  }

 private:
  static void on_connect(struct mosquitto* client, void* self, int result) {
    if (result == 0) mosquitto_subscribe(client, nullptr, static_cast<MqttSubscriber*>(self)->filter_.c_str(), 1);
  }
  static void on_subscribe(struct mosquitto*, void* data, int, int, const int*) {
    auto* self = static_cast<MqttSubscriber*>(data);
    std::lock_guard<std::mutex> lock(self->lock_);
    self->subscribed_ = true;
    self->arrived_.notify_all();
  }
  static void on_message(struct mosquitto*, void* data, const struct mosquitto_message* message) {
    auto* self = static_cast<MqttSubscriber*>(data);
    std::lock_guard<std::mutex> lock(self->lock_);
    self->messages_[message->topic].emplace_back(static_cast<const char*>(message->payload), message->payloadlen);
    self->arrived_.notify_all();
  }

  std::string filter_;
  struct mosquitto* client_;
  std::mutex lock_;
  std::condition_variable arrived_;
  bool subscribed_ = false;
  std::map<std::string, std::vector<std::string>> messages_;
};

}  // namespace scorecam_test
