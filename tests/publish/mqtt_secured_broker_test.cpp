// MqttPublisher against secured mosquitto brokers the test runs on 127.0.0.1: a login
// (`allow_anonymous false`, a password file made with mosquitto_passwd) and TLS with certificates
// the test makes. Every message arrives; a refused login or an untrusted certificate is reported
// once as refused and not retried; settings that cannot work are errors at start; the password
// is in no message.
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connection_log.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/mqtt_password.h"
#include "scorecam/publish/mqtt_publisher.h"
#include "support/mosquitto.h"
#include "support/scratch_directory.h"
#include "support/test_certificates.h"
#include "support/wait.h"

using namespace scorecam::publish;
using scorecam_test::BrokerSecurity;
using scorecam_test::ConnectionLog;
using scorecam_test::MosquittoBroker;
using scorecam_test::MqttSubscriber;
using scorecam_test::SubscriberLogin;
using scorecam_test::TestCertificates;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTopic = "scorecam/secured";
const std::string kPassword = "camera S3cret";  // with a space: the whole line is the password

BrokerSecurity users_only() { return {{{"camera", kPassword}, {"reader", "reader-pass"}}, "", "", "", false}; }

BrokerSecurity users_and_tls(const TestCertificates& certificates, bool require_client_certificate = false) {
  BrokerSecurity security = users_only();
  security.ca_file = certificates.ca();
  security.certificate_file = certificates.server_certificate();
  security.key_file = certificates.server_key();
  security.require_client_certificate = require_client_certificate;
  return security;
}

SubscriberLogin reader(const TestCertificates* certificates = nullptr) {
  SubscriberLogin login{"reader", "reader-pass", "", "", ""};
  if (certificates) {
    login.ca_file = certificates->ca();
    login.certificate_file = certificates->client_certificate();
    login.key_file = certificates->client_key();
  }
  return login;
}

MqttOptions camera(const MosquittoBroker& broker, const std::string& password = kPassword) {
  MqttOptions options;
  options.address = broker.address();
  options.topic = kTopic;
  options.retry_max = 1s;
  options.username = "camera";
  options.password = password;
  return options;
}

std::vector<std::string> numbered(int count) {
  std::vector<std::string> messages;
  for (int i = 0; i < count; ++i) messages.push_back(std::to_string(i));
  return messages;
}

// Publishes 30 messages with `options`: all confirmed, all received in order, no outage reported.
void expect_every_message_arrives(const MosquittoBroker& broker, const SubscriberLogin& login, MqttOptions options) {
  MqttSubscriber subscriber(broker.port(), kTopic, login);
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s:\n" << broker.log();
  ConnectionLog log;
  MqttPublisher publisher(options, log.listener());
  for (const auto& message : numbered(30)) EXPECT_TRUE(publisher.publish(message));
  EXPECT_EQ(publisher.flush(10s), 0u) << broker.log();
  ASSERT_TRUE(subscriber.wait_for(kTopic, 30)) << "30 messages did not arrive within 20 s";
  EXPECT_EQ(subscriber.messages(kTopic), numbered(30));
  EXPECT_TRUE(log.downs().empty()) << log.downs().front();
  EXPECT_TRUE(log.refusals().empty()) << log.refusals().front();
  EXPECT_EQ(publisher.close(0ms).published, 30u);
}

// Connects with `options`: refused, with a reason that names the broker and not the password. A
// TLS handshake may fail within the first connection attempt, made in the constructor: then it
// throws. Otherwise the refusal is reported within 10 s, once; the publisher takes nothing more,
// flush does not wait, and there is no second attempt within 3 s (retry-min is 1 s).
std::string expect_refused(const MosquittoBroker& broker, const MqttOptions& options) {
  ConnectionLog log;
  std::unique_ptr<MqttPublisher> owner;
  try {
    owner = std::make_unique<MqttPublisher>(options, log.listener());
  } catch (const PublishError& e) {
    const std::string reason = e.what();
    EXPECT_EQ(reason.find(kPassword), std::string::npos) << "the password was echoed: " << reason;
    EXPECT_NE(reason.find(broker.address()), std::string::npos) << reason;
    return reason;
  }
  MqttPublisher& publisher = *owner;
  if (!log.wait_refusals(1)) {
    ADD_FAILURE() << "no refusal within 10 s; outages reported: " << testing::PrintToString(log.downs());
    return "";
  }
  const std::string reason = log.refusals().front();
  EXPECT_EQ(reason.find(kPassword), std::string::npos) << "the password was echoed: " << reason;
  EXPECT_NE(reason.find(broker.address()), std::string::npos) << reason;
  EXPECT_FALSE(publisher.publish("after the refusal"));
  const auto started = std::chrono::steady_clock::now();
  publisher.flush(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "flush waited for a broker that refused us";
  // The broker logs each connection, its readiness probe's and ours among them.
  const auto connections = [&] {
    const std::string text = broker.log();
    std::size_t count = 0;
    for (auto at = text.find("New connection from"); at != std::string::npos; at = text.find("New connection from", at + 1))
      ++count;
    return count;
  };
  const std::size_t made = connections();
  EXPECT_FALSE(scorecam_test::wait_until([&] { return connections() > made; }, 3s)) << "retried:\n" << broker.log();
  EXPECT_EQ(log.refusals().size(), 1u);
  EXPECT_TRUE(log.downs().empty()) << "a refusal is not an outage: " << log.downs().front();
  return reason;
}

TEST(MqttSecuredBroker, ALoggedInClientDeliversEveryMessage) {
  MosquittoBroker broker(users_only());
  expect_every_message_arrives(broker, reader(), camera(broker));
}

TEST(MqttSecuredBroker, AWrongPasswordIsRefusedOnceNamingTheUserAndNotRetried) {
  MosquittoBroker broker(users_only());
  const std::string reason = expect_refused(broker, camera(broker, "wrong"));
  EXPECT_NE(reason.find("refused the login as user 'camera'"), std::string::npos) << reason;
  EXPECT_NE(reason.find("check username, and password-file"), std::string::npos) << reason;
}

TEST(MqttSecuredBroker, AnAnonymousClientIsToldToLogIn) {
  MosquittoBroker broker(users_only());
  MqttOptions options = camera(broker);
  options.username.clear();
  options.password.clear();
  const std::string reason = expect_refused(broker, options);
  EXPECT_NE(reason.find("an anonymous client"), std::string::npos) << reason;
  EXPECT_NE(reason.find("set username"), std::string::npos) << reason;
}

TEST(MqttSecuredBroker, OverTlsEveryMessageArrives) {
  const TestCertificates certificates;
  MosquittoBroker broker(users_and_tls(certificates));
  MqttOptions options = camera(broker);
  options.ca_file = certificates.ca();
  expect_every_message_arrives(broker, reader(&certificates), options);
}

// A crash ends a TLS connection without TLS's goodbye: an outage like any other, retried.
TEST(MqttSecuredBroker, OverTlsABrokerCrashIsAnOutageNotARefusal) {
  const TestCertificates certificates;
  MosquittoBroker broker(users_and_tls(certificates));
  MqttOptions options = camera(broker);
  options.ca_file = certificates.ca();
  ConnectionLog log;
  MqttPublisher publisher(options, log.listener());
  ASSERT_TRUE(log.wait_ups(1)) << "not connected within 10 s";
  for (const int signal : {SIGKILL, SIGTERM}) {
    const std::size_t downs = log.downs().size(), ups = log.ups().size();
    broker.stop(signal);
    ASSERT_TRUE(log.wait_downs(downs + 1)) << "the lost broker was not reported within 10 s";
    broker.start();
    ASSERT_TRUE(log.wait_ups(ups + 1)) << "no reconnection within 10 s after signal " << signal;
  }
  for (const auto& message : numbered(5)) publisher.publish(message);
  EXPECT_EQ(publisher.flush(10s), 0u);
  EXPECT_TRUE(log.refusals().empty()) << log.refusals().front();
}

TEST(MqttSecuredBroker, AClientCertificateIsSentToABrokerThatWantsOne) {
  const TestCertificates certificates;
  MosquittoBroker broker(users_and_tls(certificates, true));
  MqttOptions options = camera(broker);
  options.ca_file = certificates.ca();
  options.cert_file = certificates.client_certificate();
  options.key_file = certificates.client_key();
  expect_every_message_arrives(broker, reader(&certificates), options);

  options.cert_file.clear();
  options.key_file.clear();
  const std::string reason = expect_refused(broker, options);
  EXPECT_NE(reason.find("the TLS connection to the broker at " + broker.address() + " failed"), std::string::npos)
      << reason;
  // OpenSSL's reason ("certificate required") when the broker's alert arrives before its reset.
  EXPECT_NE(reason.find("cert-file and key-file"), std::string::npos) << reason;
}

TEST(MqttSecuredBroker, ABrokerCertificateFromAnotherCaIsRefused) {
  const TestCertificates certificates, others;
  MosquittoBroker broker(users_and_tls(certificates));
  MqttOptions options = camera(broker);
  options.ca_file = others.ca();
  const std::string reason = expect_refused(broker, options);
  EXPECT_NE(reason.find("the TLS connection to the broker at " + broker.address() + " failed"), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("certificate verify failed"), std::string::npos) << "OpenSSL's reason: " << reason;
  EXPECT_NE(reason.find("is ca-file the CA that signed"), std::string::npos) << reason;
}

void expect_rejected(const MqttOptions& options, const std::string& expected) {
  try {
    MqttPublisher publisher(options);
    ADD_FAILURE() << "accepted; expected an error with: " << expected;
  } catch (const PublishError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos) << "the password was echoed: " << e.what();
  }
}

// Known without a broker: these fail at start whatever the broker does.
TEST(MqttSecuredBroker, LoginSettingsThatCannotWorkAreErrorsAtStart) {
  const TestCertificates certificates;
  MqttOptions options;
  options.topic = kTopic;
  options.password = kPassword;
  expect_rejected(options, "password without a username");
  options.username = "camera";
  options.ca_file = "/nonexistent/ca.crt";
  expect_rejected(options, "cannot read the TLS CA file (ca-file) '/nonexistent/ca.crt': No such file or directory");
  options.ca_file = certificates.ca();
  options.cert_file = certificates.client_certificate();
  expect_rejected(options, "set both cert-file and key-file");
  options.key_file = "/nonexistent/client.key";
  expect_rejected(options, "'/nonexistent/client.key'");
  options.ca_file.clear();
  options.key_file = certificates.client_key();
  expect_rejected(options, "needs TLS: set ca-file");
}

TEST(MqttSecuredBroker, ACaFileThatIsNoCertificateIsAnErrorAtStart) {
  MosquittoBroker broker(users_only());  // there: the CA is loaded when the connection is made
  scorecam_test::ScratchDirectory directory;
  std::ofstream(directory.file("ca.crt")) << "not a certificate\n";
  MqttOptions options = camera(broker);
  options.ca_file = directory.file("ca.crt");
  expect_rejected(options, "the TLS connection to the broker at " + broker.address() + " failed");
}

TEST(MqttPassword, ComesFromTheFirstLineOfTheFileElseTheEnvironment) {
  scorecam_test::ScratchDirectory directory;
  std::ofstream(directory.file("password")) << kPassword << "\r\nsecond line\n";
  EXPECT_EQ(read_mqtt_password(directory.file("password")), kPassword);

  setenv(kMqttPasswordVariable, "from the environment", 1);
  EXPECT_EQ(read_mqtt_password(""), "from the environment");
  EXPECT_EQ(read_mqtt_password(directory.file("password")), kPassword) << "the file comes first";
  unsetenv(kMqttPasswordVariable);
  EXPECT_EQ(read_mqtt_password(""), "");
}

TEST(MqttPassword, AMissingOrEmptyFileIsAnErrorNamingIt) {
  scorecam_test::ScratchDirectory directory;
  const auto error_of = [](const std::string& path) {
    try {
      read_mqtt_password(path);
    } catch (const PublishError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of(directory.file("none")),
            "cannot read the MQTT password file '" + directory.file("none") + "': No such file or directory");
  std::ofstream(directory.file("empty")) << "\n";
  EXPECT_NE(error_of(directory.file("empty")).find("'" + directory.file("empty") + "' is empty"), std::string::npos);
}

}  // namespace
