// An MQTT broker (mosquitto) run by the test on 127.0.0.1 on a port of its own, stoppable,
// restartable on the same port and freezable, optionally with logins and TLS, and a subscriber that
// collects what arrives per topic. No GStreamer.
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
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.h"
#include "support/scratch_directory.h"
#include "support/wait.h"

namespace scorecam_test {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

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

// What a broker asks of its clients. With users, it takes only them (a password file made with
// mosquitto_passwd, `allow_anonymous false`); with a certificate and key, its listener is TLS only.
struct BrokerSecurity {
  std::vector<std::pair<std::string, std::string>> users;  // user, password
  std::string ca_file, certificate_file, key_file;
  bool require_client_certificate = false;  // signed by ca_file
};

// mosquitto with a listener on 127.0.0.1:port only, anonymous access unless `security` says
// otherwise. Persistence keeps a subscriber's session (its subscription and the QoS 1 messages
// queued for it) across stop() with SIGTERM and start(), as a broker restarted by its service
// manager would.
class MosquittoBroker {
 public:
  explicit MosquittoBroker(bool start_now = true) : MosquittoBroker(BrokerSecurity{}, start_now) {}
  explicit MosquittoBroker(const BrokerSecurity& security, bool start_now = true) : port_(free_local_port()) {
    std::ofstream config(directory_.file("mosquitto.conf"));
    config << "listener " << port_ << " 127.0.0.1\n"
           << "persistence true\n"
           << "persistence_location " << directory_.file("") << "\n"
           << "user " << getpwuid(getuid())->pw_name << "\n";
    if (security.users.empty()) {
      config << "allow_anonymous true\n";
    } else {
      config << "allow_anonymous false\n"
             << "password_file " << write_password_file(security.users) << "\n";
    }
    if (!security.certificate_file.empty()) {
      config << "certfile " << security.certificate_file << "\n"
             << "keyfile " << security.key_file << "\n"
             << "cafile " << security.ca_file << "\n"
             << "require_certificate " << (security.require_client_certificate ? "true" : "false") << "\n";
    }
    config.close();
    if (start_now) start();
  }
  ~MosquittoBroker() { stop(SIGKILL); }
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read(directory_.file("mosquitto.log")); }

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

  // Frozen, its connections stay open but nothing is answered (a hung or overloaded broker), until thawed.
  void freeze() {
    if (process_) process_->signal(SIGSTOP);
  }
  void thaw() {
    if (process_) process_->signal(SIGCONT);
  }

 private:
  // mosquitto takes only hashed passwords: mosquitto_passwd makes them.
  std::string write_password_file(const std::vector<std::pair<std::string, std::string>>& users) {
    const std::string path = directory_.file("passwords");
    bool first = true;
    for (const auto& [user, password] : users) {
      std::vector<std::string> command{"mosquitto_passwd", "-b", path, user, password};
      if (first) command.insert(command.begin() + 1, "-c");
      first = false;
      ChildProcess process(command, directory_.file("mosquitto_passwd.log"));
      if (process.wait(std::chrono::seconds(30)) != 0)
        throw std::runtime_error("mosquitto_passwd failed: " + process.error() + "\n" + read(directory_.file("mosquitto_passwd.log")));
    }
    return path;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  ScratchDirectory directory_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// How a subscriber logs in to a secured broker: a user, and TLS with the CA that signed the
// broker's certificate (and a client certificate where the broker wants one).
struct SubscriberLogin {
  std::string username, password;
  std::string ca_file, certificate_file, key_file;
};

// Subscribes to `filter` at QoS 1 with a persistent session (so that messages published while it
// reconnects after a broker restart wait for it) and collects the payloads per topic.
class MqttSubscriber {
 public:
  MqttSubscriber(int port, std::string filter = "#", const SubscriberLogin& login = {}) : filter_(std::move(filter)) {
    mosquitto_lib_init();
    static int count = 0;
    const std::string id = "scorecam-test-" + std::to_string(getpid()) + "-" + std::to_string(++count);
    client_ = mosquitto_new(id.c_str(), false, this);
    if (!login.username.empty()) mosquitto_username_pw_set(client_, login.username.c_str(), login.password.c_str());
    const auto optional = [](const std::string& path) { return path.empty() ? nullptr : path.c_str(); };
    if (!login.ca_file.empty())
      mosquitto_tls_set(client_, login.ca_file.c_str(), nullptr, optional(login.certificate_file),
                        optional(login.key_file), nullptr);
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
