// MqttPublisher against a mosquitto broker the test runs on 127.0.0.1: delivery, the bounded
// queue, a broker that is late, restarts or freezes, and settings that can never work. The
// secured brokers: mqtt_secured_broker_test.cpp.
#include "scorecam/publish/mqtt_publisher.h"

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "scorecam/publish/error.h"
#include "connection_log.h"
#include "support/mosquitto.h"
#include "support/wait.h"

using scorecam::publish::MqttOptions;
using scorecam::publish::MqttPublisher;
using scorecam::publish::PublishError;
using scorecam_test::ConnectionLog;
using scorecam_test::MosquittoBroker;
using scorecam_test::MqttSubscriber;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTopic = "scorecam/test";

MqttOptions options_for(const MosquittoBroker& broker) {
  MqttOptions options;
  options.address = broker.address();
  options.topic = kTopic;
  options.retry_max = std::chrono::seconds(1);
  return options;
}

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> messages;
  for (int i = from; i < to; ++i) messages.push_back(std::to_string(i));
  return messages;
}

void publish_all(MqttPublisher& publisher, const std::vector<std::string>& messages) {
  for (const auto& message : messages) publisher.publish(message);
}

// A broker with a subscriber whose session it keeps, then stopped: what is published while it is
// down reaches the subscriber once it is back.
struct StoppedBrokerWithSubscriber {
  MosquittoBroker broker;
  std::unique_ptr<MqttSubscriber> subscriber;
  StoppedBrokerWithSubscriber() : subscriber(std::make_unique<MqttSubscriber>(broker.port(), kTopic)) {
    EXPECT_TRUE(subscriber->wait_subscribed()) << "no subscription within 10 s";
    broker.stop();
  }
};

// Starts the stopped broker again: the publisher delivers its queue, and the subscriber gets exactly `expected`.
void expect_delivered_once_back(StoppedBrokerWithSubscriber& setup, MqttPublisher& publisher,
                                const std::vector<std::string>& expected) {
  setup.broker.start();
  EXPECT_EQ(publisher.flush(10s), 0u);
  ASSERT_TRUE(setup.subscriber->wait_for(kTopic, expected.size()))
      << expected.size() << " messages did not arrive within 20 s";
  EXPECT_EQ(setup.subscriber->messages(kTopic), expected);
}

TEST(MqttPublisher, EveryMessageArrivesInOrderAndIsCounted) {
  for (const int qos : {0, 1}) {
    MosquittoBroker broker;
    MqttSubscriber subscriber(broker.port(), kTopic);
    ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
    MqttOptions options = options_for(broker);
    options.qos = qos;
    MqttPublisher publisher(options);
    publish_all(publisher, numbered(0, 50));
    EXPECT_EQ(publisher.flush(10s), 0u) << "qos " << qos;
    ASSERT_TRUE(subscriber.wait_for(kTopic, 50)) << "50 messages did not arrive within 20 s at qos " << qos;
    EXPECT_EQ(subscriber.messages(kTopic), numbered(0, 50)) << "qos " << qos;
    const auto counters = publisher.close(0ms);
    EXPECT_EQ(counters.published, 50u);
    EXPECT_EQ(counters.dropped, 0u);
  }
}

TEST(MqttPublisher, ABrokerThatIsNotThereYetIsRetriedAndGetsTheQueue) {
  StoppedBrokerWithSubscriber setup;
  ConnectionLog log;
  MqttPublisher publisher(options_for(setup.broker), log.listener());
  ASSERT_TRUE(log.wait_downs(1)) << "no connection failure reported within 10 s";
  EXPECT_NE(log.downs().front().find(setup.broker.address()), std::string::npos) << log.downs().front();
  publish_all(publisher, numbered(0, 5));
  EXPECT_EQ(publisher.counters().queued, 5u);
  expect_delivered_once_back(setup, publisher, numbered(0, 5));
  EXPECT_EQ(log.downs().size(), 1u) << "one warning per outage, not one per attempt";
}

TEST(MqttPublisher, AFullQueueDropsTheOldestAndCountsThem) {
  StoppedBrokerWithSubscriber setup;
  MqttOptions options = options_for(setup.broker);
  options.max_queue = 5;
  MqttPublisher publisher(options);
  publish_all(publisher, numbered(0, 20));
  auto counters = publisher.counters();
  EXPECT_EQ(counters.dropped, 15u);
  EXPECT_EQ(counters.queued, 5u);
  expect_delivered_once_back(setup, publisher, numbered(15, 20));  // the newest
  counters = publisher.close(0ms);
  EXPECT_EQ(counters.published, 5u);
  EXPECT_EQ(counters.dropped, 15u);
}

TEST(MqttPublisher, ABrokerRestartLosesNothingAndNeverBlocksPublish) {
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port(), kTopic);
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
  ConnectionLog log;
  MqttPublisher publisher(options_for(broker), log.listener());
  publish_all(publisher, numbered(0, 10));
  ASSERT_TRUE(subscriber.wait_for(kTopic, 10)) << "10 messages did not arrive within 20 s";

  broker.stop();
  ASSERT_TRUE(log.wait_downs(1)) << "the lost broker was not reported within 10 s";
  // A publish() that waited for the broker would never return here: it comes back only later.
  const auto started = std::chrono::steady_clock::now();
  publish_all(publisher, numbered(10, 30));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "publish() waited for the broker";
  broker.start();
  ASSERT_TRUE(log.wait_ups(2)) << "no reconnection reported within 10 s";
  publish_all(publisher, numbered(30, 40));
  EXPECT_EQ(publisher.flush(10s), 0u);

  // Messages the restart caught unacknowledged may arrive twice: wait for 40 different ones.
  EXPECT_TRUE(subscriber.wait_for_distinct(kTopic, 40, 20s)) << "40 different messages did not arrive within 20 s";
  const auto received = subscriber.messages(kTopic);
  const std::set<std::string> distinct(received.begin(), received.end());
  for (const auto& message : numbered(0, 40)) EXPECT_TRUE(distinct.count(message)) << "lost message " << message;
  const auto counters = publisher.close(0ms);
  EXPECT_EQ(counters.dropped, 0u);
  EXPECT_EQ(counters.published, 40u);
  EXPECT_EQ(log.downs().size(), 1u);
}

// A crash (SIGKILL) loses what the broker held, its sessions included, so the subscriber cannot
// check delivery here; the publisher still accounts for every message exactly once.
TEST(MqttPublisher, ABrokerCrashMidStreamLeavesEveryMessageConfirmedOrDropped) {
  MosquittoBroker broker;
  ConnectionLog log;
  MqttPublisher publisher(options_for(broker), log.listener());
  publish_all(publisher, numbered(0, 500));  // killed with some of these in flight
  broker.stop(SIGKILL);
  ASSERT_TRUE(log.wait_downs(1)) << "the lost broker was not reported within 10 s";
  publish_all(publisher, numbered(500, 1000));
  broker.start();
  EXPECT_EQ(publisher.flush(10s), 0u);
  const auto counters = publisher.close(0ms);
  EXPECT_EQ(counters.published + counters.dropped, 1000u);
  EXPECT_EQ(counters.dropped, 0u) << "the queue had room for the whole outage";
}

// A frozen broker keeps its connections open and answers nothing: only the keep-alive would notice,
// after up to twice its 10 s. The publisher says so once nothing has been confirmed for stall_after.
TEST(MqttPublisher, AFrozenBrokerIsReportedOnceAndConfirmsAgainWhenThawed) {
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port(), kTopic);
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
  ConnectionLog log;
  MqttOptions options = options_for(broker);
  options.stall_after = 1s;
  MqttPublisher publisher(options, log.listener());
  ASSERT_TRUE(log.wait_ups(1)) << "not connected within 10 s";
  publish_all(publisher, numbered(0, 5));
  ASSERT_EQ(publisher.flush(10s), 0u);

  broker.freeze();
  int sent = 5;
  // The stall is noticed on publish, as for a camera's frames.
  const bool reported =
      scorecam_test::wait_until([&] { publisher.publish(std::to_string(sent++)); return !log.downs().empty(); }, 10s, 100ms);
  ASSERT_TRUE(reported) << "a broker frozen for 10 s was not reported";
  EXPECT_NE(log.downs().front().find("has confirmed nothing for"), std::string::npos) << log.downs().front();
  EXPECT_NE(log.downs().front().find(broker.address()), std::string::npos) << log.downs().front();
  publish_all(publisher, numbered(sent, sent + 5));
  sent += 5;

  broker.thaw();
  ASSERT_TRUE(log.wait_ups(2)) << "the thawed broker was not reported back within 10 s";
  EXPECT_EQ(publisher.flush(10s), 0u);
  EXPECT_TRUE(subscriber.wait_for_distinct(kTopic, static_cast<std::size_t>(sent), 20s))
      << sent << " different messages did not arrive within 20 s";
  EXPECT_EQ(log.downs().size(), 1u) << "one warning per outage, not one per message";
  EXPECT_EQ(publisher.close(0ms).dropped, 0u);
}

TEST(MqttPublisher, FlushGivesUpAfterItsTimeoutAndCloseCountsTheRestAsDropped) {
  MosquittoBroker broker(false);
  MqttPublisher publisher(options_for(broker));
  publish_all(publisher, numbered(0, 3));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(publisher.flush(200ms), 3u);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 2s);
  const auto counters = publisher.close(0ms);
  EXPECT_EQ(counters.dropped, 3u);
  EXPECT_EQ(counters.queued, 0u);
}

void expect_rejected(const MqttOptions& options, const std::string& expected) {
  try {
    MqttPublisher publisher(options);
    ADD_FAILURE() << "accepted " << options.address << " topic '" << options.topic << "'";
  } catch (const PublishError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

TEST(MqttPublisher, SettingsThatCanNeverWorkAreErrorsNamingThem) {
  MqttOptions options;
  options.topic = kTopic;
  for (const std::string address : {"localhost", "127.0.0.1:", ":1883", "127.0.0.1:mqtt", "127.0.0.1:70000",
                                    "no-such-host.invalid:1883"}) {
    options.address = address;
    expect_rejected(options, "'" + address + "'");
  }
  options.address = "camera:S3cret@127.0.0.1:1883";
  try {
    MqttPublisher publisher(options);
    ADD_FAILURE() << "credentials in the address were accepted";
  } catch (const PublishError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find("S3cret"), std::string::npos) << "the password was echoed: " << message;
    EXPECT_NE(message.find("'***@127.0.0.1:1883'"), std::string::npos) << message;
    EXPECT_NE(message.find("set username, and password-file"), std::string::npos) << message;
  }
  options.address = "127.0.0.1:1883";
  options.topic = "scorecam/#";
  expect_rejected(options, "invalid MQTT topic 'scorecam/#'");
  options.topic = kTopic;
  options.qos = 2;
  expect_rejected(options, "QoS 2");
  options.qos = 1;
  options.retry_min = 10s;
  options.retry_max = 5s;
  expect_rejected(options, "retry-min");
}

}  // namespace
