#pragma once
// Publishes messages to one topic of an MQTT broker without ever blocking the caller, through
// broker outages.
//
// publish() puts the message in a bounded queue and returns. A background thread of ours connects,
// hands queued messages to the broker while connected, and reconnects after a loss with a delay
// that doubles from retry_min up to retry_max. A broker that refuses this client (its login, or
// TLS) is not retried. When the queue is full the OLDEST message is
// dropped and counted: for a live camera the freshest results matter most.
//
// Accounting: every message ends up either confirmed (`published`: the broker's PUBACK at QoS 1,
// written to the socket at QoS 0) or counted in `dropped`. At QoS 1 a message already handed to
// the client when the connection is lost is sent again after reconnecting (so a subscriber may see
// it twice); at QoS 0 such messages are lost with the connection and counted as dropped. Whatever
// is still unconfirmed when the publisher closes is counted as dropped too.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

struct mosquitto;

namespace scorecam::publish {

struct BrokerAddress {
  std::string host;
  int port = 0;
};

// "host:port" ("[v6]:port" for an IPv6 literal); throws PublishError saying what is wrong.
// Credentials in it ("user:pass@host:port") are refused, without echoing them.
BrokerAddress parse_broker_address(const std::string& address);

// The address as it may appear in a message: anything before an '@' replaced by "***".
std::string redacted_address(const std::string& address);

struct MqttOptions {
  std::string address = "127.0.0.1:1883";
  std::string topic;
  std::string client_id;             // empty: the client library makes a random one
  int qos = 1;                       // 0 or 1
  std::size_t max_queue = 1000;      // messages waiting for the broker; beyond it the oldest is dropped
  std::chrono::seconds retry_min{1};  // first reconnection delay, doubled after each failure...
  std::chrono::seconds retry_max{30};  // ...up to this
  std::size_t max_in_flight = 20;    // handed to the client library, not yet confirmed
  // Nothing confirmed for this long while messages wait for it: the broker is reported down (it
  // may be frozen or overloaded; the connection itself is only dropped by the keep-alive, later).
  std::chrono::seconds stall_after{5};

  // Logging in; an empty username is an anonymous client. The password is never part of a message.
  std::string username;
  std::string password;
  // TLS: with a CA file the connection is encrypted and the broker's certificate must be signed by
  // that CA and name the host of `address`. The client certificate and key are optional (both or
  // neither; the key not encrypted), for brokers that require one.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct PublisherCounters {
  uint64_t published = 0;   // confirmed
  uint64_t dropped = 0;     // lost: pushed out of a full queue, lost with a connection (QoS 0), or left at close
  std::size_t queued = 0;   // waiting for the broker
  std::size_t in_flight = 0;  // handed over, not yet confirmed
};

enum class ConnectionEvent {
  up,       // connected, or a stalled broker confirms again
  down,     // once per outage: the connection lost, the first attempt failed, or the broker stalled; retried
  refused,  // the broker will not take this client as it is set up (login, TLS): not retried
};

// Called from the publisher's thread (or the constructor) with what happened and a reason that
// names the broker.
using ConnectionListener = std::function<void(ConnectionEvent event, const std::string& detail)>;

class MqttPublisher {
 public:
  // Starts connecting in the background; a broker that is not (yet) there is retried, not an error.
  // Throws PublishError for settings that can never work: a malformed address, a host that does not
  // resolve, an invalid topic, a QoS other than 0 or 1, retry bounds out of order, a password
  // without a username, TLS files that cannot be read or loaded.
  explicit MqttPublisher(MqttOptions options, ConnectionListener listener = {});
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  // Never blocks on the network. False once the broker has refused this client (the message is
  // counted as dropped): nothing more will reach it.
  bool publish(std::string payload);

  PublisherCounters counters() const;

  // Waits up to `timeout` for every message to be confirmed; returns how many are not.
  std::size_t flush(std::chrono::milliseconds timeout);

  // flush(timeout), then disconnects and stops the thread; what is still unconfirmed is counted as
  // dropped. Returns the final counters. The destructor closes without waiting.
  PublisherCounters close(std::chrono::milliseconds timeout);

 private:
  static void on_connect(struct mosquitto*, void* self, int result);
  static void on_disconnect(struct mosquitto*, void* self, int result);
  static void on_publish(struct mosquitto*, void* self, int mid);
  static void on_log(struct mosquitto*, void* self, int level, const char* text);

  enum class Turn { open, lost, failed, stop };  // the socket after a turn of the loop; stop: the thread ends

  int connect_async();
  void run(bool socket_open);
  Turn serve();
  bool wait_to_retry(std::chrono::seconds delay);
  void hand_over_locked();
  void refuse(const std::string& reason);
  std::string stall_locked();
  std::string take_logged_error();
  std::string tls_failure(const std::string& fallback);
  bool error_logged();
  void report(ConnectionEvent event, const std::string& detail);
  PublisherCounters counters_locked() const;

  const MqttOptions options_;
  const BrokerAddress address_;
  const ConnectionListener listener_;
  struct mosquitto* client_ = nullptr;
  std::thread thread_;  // the network thread: connects, reads and writes, reconnects

  mutable std::mutex lock_;
  std::condition_variable settled_;  // a message was confirmed or dropped
  std::condition_variable wake_;  // closing
  std::deque<std::string> queue_;
  std::unordered_set<int> in_flight_;  // message ids handed to libmosquitto
  bool connected_ = false;
  bool outage_reported_ = false;
  bool session_up_ = false;  // the broker accepted this connection (CONNACK)
  bool stalled_ = false;  // connected, but nothing confirmed for stall_after
  std::chrono::steady_clock::time_point last_progress_;  // last confirmation, or the wait for one began
  std::string refusal_;  // why the broker will not take us; empty while it might
  bool closing_ = false;
  uint64_t published_ = 0;
  uint64_t dropped_ = 0;

  std::mutex log_lock_;  // not lock_: the library logs from inside calls made under lock_
  std::string logged_error_;  // what libmosquitto logged as an error since the last successful connection
};

}  // namespace scorecam::publish
