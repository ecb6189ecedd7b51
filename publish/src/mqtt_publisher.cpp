#include "scorecam/publish/mqtt_publisher.h"

#include <mosquitto.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <utility>

#include "mqtt_login.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/mqtt_password.h"

namespace scorecam::publish {
namespace {

constexpr int kKeepAliveSeconds = 10;
constexpr int kLoopTimeoutMs = 100;  // how soon the network thread notices close()

void init_mosquitto_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string describe(int result) {
  return result == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(result);
}

constexpr const char* kTlsHint =
    " (is ca-file the CA that signed the broker's certificate, and does that certificate name the host of address? "
    "Does the broker want a client certificate, cert-file and key-file?)";

void check_options(const MqttOptions& options) {
  if (options.qos != 0 && options.qos != 1)
    throw PublishError("MQTT QoS " + std::to_string(options.qos) + " is not supported: use 0 or 1");
  if (options.max_queue == 0 || options.max_in_flight == 0)
    throw PublishError("the MQTT queue and in-flight bounds must be at least 1");
  if (options.retry_min.count() < 1 || options.retry_max < options.retry_min)
    throw PublishError("MQTT retry delays must satisfy 1 s <= retry-min <= retry-max (got " +
                       std::to_string(options.retry_min.count()) + " s and " +
                       std::to_string(options.retry_max.count()) + " s)");
  if (mosquitto_pub_topic_check(options.topic.c_str()) != MOSQ_ERR_SUCCESS)
    throw PublishError("invalid MQTT topic '" + options.topic +
                       "': a topic to publish to must not be empty or contain the wildcards + and #");
}

}  // namespace

BrokerAddress parse_broker_address(const std::string& address) {
  const auto fail = [&](const std::string& why) {
    return PublishError("bad broker address '" + redacted_address(address) + "': " + why +
                        " (expected host:port, e.g. 127.0.0.1:1883)");
  };
  if (address.find('@') != std::string::npos)
    throw fail("credentials do not go in the address: set username, and password-file or " +
               std::string(kMqttPasswordVariable));
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) throw fail("no port");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw fail("no host");
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw fail("the port is not a number");
  const int number = std::stoi(port);
  if (number < 1 || number > 65535) throw fail("the port is not between 1 and 65535");
  return {host, number};
}

std::string redacted_address(const std::string& address) {
  const std::size_t at = address.rfind('@');
  return at == std::string::npos ? address : "***" + address.substr(at);
}

MqttPublisher::MqttPublisher(MqttOptions options, ConnectionListener listener)
    : options_(std::move(options)), address_(parse_broker_address(options_.address)), listener_(std::move(listener)) {
  check_options(options_);
  init_mosquitto_library();
  // A clean session: the broker keeps nothing for this client between connections; what was not
  // confirmed is sent again by the client itself (QoS 1).
  client_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(), true, this);
  if (!client_) throw PublishError(std::string("cannot create an MQTT client: ") + std::strerror(errno));
  mosquitto_connect_callback_set(client_, &MqttPublisher::on_connect);
  mosquitto_disconnect_callback_set(client_, &MqttPublisher::on_disconnect);
  mosquitto_publish_callback_set(client_, &MqttPublisher::on_publish);
  mosquitto_log_callback_set(client_, &MqttPublisher::on_log);
  mosquitto_threaded_set(client_, true);  // published to from other threads than the network one
  try {
    configure_login(client_, options_);
  } catch (...) {
    mosquitto_destroy(client_);
    throw;
  }
  const int connected = connect_async();
  if (connected == MOSQ_ERR_EAI || connected == MOSQ_ERR_INVAL) {
    mosquitto_destroy(client_);
    throw PublishError("bad broker address '" + options_.address + "': " +
                       (connected == MOSQ_ERR_EAI ? "the host '" + address_.host + "' does not resolve"
                                                  : describe(connected)));
  }
  if (connected == MOSQ_ERR_TLS) {  // the TLS files did not load, or the broker's certificate is not trusted
    const std::string why = tls_failure(describe(connected));
    mosquitto_destroy(client_);
    throw PublishError(why);
  }
  if (connected != MOSQ_ERR_SUCCESS) {  // a broker not there yet is an outage like any other
    {
      std::lock_guard<std::mutex> lock(lock_);
      outage_reported_ = true;
    }
    report(ConnectionEvent::down, "cannot connect to " + options_.address + ": " + describe(connected));
  }
  thread_ = std::thread([this, connected] { run(connected == MOSQ_ERR_SUCCESS); });
}

int MqttPublisher::connect_async() {
  return mosquitto_connect_async(client_, address_.host.c_str(), address_.port, kKeepAliveSeconds);
}

// The client's network thread: our own loop rather than libmosquitto's (mosquitto_loop_start),
// which stops for good, without a word, after any OpenSSL error, and OpenSSL 3 reports one for a
// broker that crashed. Here such an error is an outage when the broker had accepted us, and a
// refusal when it came before (a certificate not trusted by either side).
void MqttPublisher::run(bool socket_open) {
  std::chrono::seconds delay = options_.retry_min;
  for (;;) {
    if (socket_open) {
      const Turn turn = serve();
      if (turn == Turn::stop) return;
      if (turn == Turn::open) continue;
      socket_open = false;
      // After a connection that worked the back-off starts again; after a failed attempt it grows.
      delay = turn == Turn::lost ? options_.retry_min : std::min(delay * 2, options_.retry_max);
    }
    if (!wait_to_retry(delay)) return;
    const int result = connect_async();
    if (result == MOSQ_ERR_TLS) {  // the broker's certificate is not trusted
      refuse(tls_failure(describe(result)));
      return;
    }
    socket_open = result == MOSQ_ERR_SUCCESS;
    if (!socket_open) delay = std::min(delay * 2, options_.retry_max);
  }
}

// One turn of the network loop on the open socket: reads, writes, keep-alive.
MqttPublisher::Turn MqttPublisher::serve() {
  const int result = mosquitto_loop(client_, kLoopTimeoutMs, 1);
  // libmosquitto says EPROTO for a TLS failure that OpenSSL gave no reason for (a reset).
  const bool tls_reset = result == MOSQ_ERR_ERRNO && errno == EPROTO;
  const std::string why = result == MOSQ_ERR_SUCCESS ? "" : describe(result);  // before errno changes
  std::unique_lock<std::mutex> lock(lock_);
  if (closing_) {
    lock.unlock();
    mosquitto_loop(client_, 0, 1);  // writes the DISCONNECT that close() queued
    return Turn::stop;
  }
  if (!refusal_.empty()) return Turn::stop;
  if (result == MOSQ_ERR_SUCCESS) return Turn::open;
  if (session_up_) return Turn::lost;  // on_disconnect reported it
  // An attempt the broker never accepted.
  const bool first_report = !std::exchange(outage_reported_, true);
  lock.unlock();
  if (result == MOSQ_ERR_TLS || tls_reset || error_logged()) {
    refuse(tls_failure(why));
    return Turn::stop;
  }
  if (first_report) report(ConnectionEvent::down, "cannot connect to " + options_.address + ": " + why);
  return Turn::failed;
}

// False when the publisher closes meanwhile.
bool MqttPublisher::wait_to_retry(std::chrono::seconds delay) {
  std::unique_lock<std::mutex> lock(lock_);
  if (wake_.wait_for(lock, delay, [this] { return closing_; })) return false;
  session_up_ = false;
  return true;
}

MqttPublisher::~MqttPublisher() {
  if (client_) close(std::chrono::milliseconds(0));
}

bool MqttPublisher::publish(std::string payload) {
  std::string stall;
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (closing_ || !refusal_.empty()) {
      ++dropped_;
      return refusal_.empty();
    }
    queue_.push_back(std::move(payload));
    if (queue_.size() > options_.max_queue) {
      queue_.pop_front();
      ++dropped_;
      settled_.notify_all();
    }
    hand_over_locked();
    stall = stall_locked();
  }
  if (!stall.empty()) report(ConnectionEvent::down, stall);
  return true;
}

// Called with lock_ held, on each publish (a frozen broker sends nothing that could tell us, and
// its keep-alive ends the connection only after up to twice the keep-alive): the reason when it
// has just been found stalled, once per outage.
std::string MqttPublisher::stall_locked() {
  const auto waited = std::chrono::steady_clock::now() - last_progress_;
  if (!connected_ || outage_reported_ || in_flight_.empty() || waited < options_.stall_after) return "";
  stalled_ = true;
  outage_reported_ = true;
  return "the broker at " + options_.address + " has confirmed nothing for " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) +
         " s (frozen or overloaded?)";
}

// Nothing more goes to the broker; what waits for it is dropped. Reported once.
void MqttPublisher::refuse(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (!refusal_.empty()) return;
    refusal_ = reason;
    dropped_ += queue_.size();
    queue_.clear();
    settled_.notify_all();
  }
  report(ConnectionEvent::refused, reason);
}

// Called with lock_ held. libmosquitto calls our callbacks holding none of the locks that
// mosquitto_publish takes, so holding lock_ here cannot deadlock, and a confirmation cannot
// arrive before its message id is recorded.
void MqttPublisher::hand_over_locked() {
  while (connected_ && !queue_.empty() && in_flight_.size() < options_.max_in_flight) {
    int mid = 0;
    const std::string& payload = queue_.front();
    const int result = mosquitto_publish(client_, &mid, options_.topic.c_str(), static_cast<int>(payload.size()),
                                         payload.data(), options_.qos, false);
    // At QoS 1 the client keeps the message even when the connection has just gone (it sends it
    // again after reconnecting); at QoS 0 it stays in our queue until we are connected again.
    const bool kept = result == MOSQ_ERR_SUCCESS || (options_.qos > 0 && result == MOSQ_ERR_NO_CONN);
    if (kept) {
      if (in_flight_.empty()) last_progress_ = std::chrono::steady_clock::now();  // the wait begins
      in_flight_.insert(mid);
    } else if (result == MOSQ_ERR_NO_CONN) {
      connected_ = false;
      return;
    } else {
      ++dropped_;  // the broker could never take it (e.g. larger than its limit)
      settled_.notify_all();
    }
    queue_.pop_front();
  }
}

void MqttPublisher::on_connect(struct mosquitto*, void* self, int result) {
  auto* publisher = static_cast<MqttPublisher*>(self);
  const std::string refusal = permanent_refusal(result, publisher->options_);
  if (!refusal.empty()) {  // run() stops on it, never trying again
    publisher->refuse(refusal + " (" + publisher->options_.address + ")");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(publisher->lock_);
    if (result == 0) {
      publisher->take_logged_error();  // what came before this connection is no reason to give up
      publisher->session_up_ = true;
      publisher->connected_ = true;
      publisher->outage_reported_ = false;
      publisher->stalled_ = false;
      publisher->hand_over_locked();
    } else if (publisher->outage_reported_) {
      return;
    } else {
      publisher->outage_reported_ = true;
    }
  }
  publisher->report(result == 0 ? ConnectionEvent::up : ConnectionEvent::down,
                    result == 0 ? "connected to " + publisher->options_.address
                                : "the broker at " + publisher->options_.address +
                                      " refused the connection: " + mosquitto_connack_string(result));
}

void MqttPublisher::on_disconnect(struct mosquitto*, void* self, int result) {
  auto* publisher = static_cast<MqttPublisher*>(self);
  {
    std::lock_guard<std::mutex> lock(publisher->lock_);
    publisher->connected_ = false;
    if (publisher->options_.qos == 0) {  // QoS 0 messages not yet written are gone with the socket
      publisher->dropped_ += publisher->in_flight_.size();
      publisher->in_flight_.clear();
      publisher->settled_.notify_all();
    }
    // An attempt the broker never accepted is run()'s to report: it may be a TLS refusal.
    if (publisher->closing_ || !publisher->refusal_.empty() || publisher->outage_reported_ || !publisher->session_up_)
      return;
    publisher->outage_reported_ = true;
  }
  publisher->report(ConnectionEvent::down,
                    "lost the broker at " + publisher->options_.address + ": " + describe(result));
}

void MqttPublisher::on_publish(struct mosquitto*, void* self, int mid) {
  auto* publisher = static_cast<MqttPublisher*>(self);
  bool resumed = false;
  {
    std::lock_guard<std::mutex> lock(publisher->lock_);
    if (publisher->in_flight_.erase(mid)) ++publisher->published_;
    publisher->last_progress_ = std::chrono::steady_clock::now();
    resumed = publisher->stalled_;
    publisher->stalled_ = false;
    if (resumed) publisher->outage_reported_ = false;
    publisher->hand_over_locked();
    publisher->settled_.notify_all();
  }
  if (resumed) publisher->report(ConnectionEvent::up, "the broker at " + publisher->options_.address + " confirms again");
}

// libmosquitto says why a connection or TLS set-up failed only in its log.
void MqttPublisher::on_log(struct mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR) return;
  auto* publisher = static_cast<MqttPublisher*>(self);
  std::lock_guard<std::mutex> lock(publisher->log_lock_);
  publisher->logged_error_ = text;
}

// What libmosquitto logged as an error (its TLS failures, with OpenSSL's reason) since the last
// successful connection; empty: nothing. Forgets it.
std::string MqttPublisher::take_logged_error() {
  std::lock_guard<std::mutex> lock(log_lock_);
  return std::exchange(logged_error_, std::string());
}


bool MqttPublisher::error_logged() {
  std::lock_guard<std::mutex> lock(log_lock_);
  return !logged_error_.empty();
}

// The refusal of a failed TLS handshake, with the reason libmosquitto logged (OpenSSL's), else `fallback`.
std::string MqttPublisher::tls_failure(const std::string& fallback) {
  const std::string logged = take_logged_error();
  return "the TLS connection to the broker at " + options_.address + " failed: " + (logged.empty() ? fallback : logged) +
         kTlsHint;
}

void MqttPublisher::report(ConnectionEvent event, const std::string& detail) {
  if (listener_) listener_(event, detail);
}

PublisherCounters MqttPublisher::counters_locked() const {
  return {published_, dropped_, queue_.size(), in_flight_.size()};
}

PublisherCounters MqttPublisher::counters() const {
  std::lock_guard<std::mutex> lock(lock_);
  return counters_locked();
}

std::size_t MqttPublisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(lock_);
  settled_.wait_for(lock, timeout, [this] { return (queue_.empty() && in_flight_.empty()) || !refusal_.empty(); });
  return queue_.size() + in_flight_.size();
}

PublisherCounters MqttPublisher::close(std::chrono::milliseconds timeout) {
  flush(timeout);
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (closing_) return counters_locked();
    closing_ = true;
  }
  wake_.notify_all();
  // Outside lock_: the network thread may be in one of our callbacks, waiting for it. It writes
  // the DISCONNECT on its way out.
  mosquitto_disconnect(client_);
  if (thread_.joinable()) thread_.join();
  mosquitto_destroy(client_);
  client_ = nullptr;
  std::lock_guard<std::mutex> lock(lock_);
  dropped_ += queue_.size() + in_flight_.size();
  queue_.clear();
  in_flight_.clear();
  return counters_locked();
}

}  // namespace scorecam::publish
