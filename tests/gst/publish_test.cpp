// scorecampublish behind scorecamoverlay: one JSON record per frame to a file or an MQTT broker
// (mosquitto, run by the test on 127.0.0.1), the video untouched, a broker that goes away, freezes
// and comes back mid-stream without holding up a frame, and a secured broker (login and TLS) that
// gets every record or refuses with an error that names the reason and not the password.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/element_harness.h"
#include "support/gst_util.h"
#include "support/mosquitto.h"
#include "support/scratch_directory.h"
#include "support/test_certificates.h"
#include "support/test_models.h"
#include "support/wait.h"

using scorecam_test::MosquittoBroker;
using scorecam_test::MqttSubscriber;
using scorecam_test::TempDir;
using scorecam_test::test_model;
using nlohmann::json;

namespace {

constexpr int kWidth = 40, kHeight = 32;  // tiny_rgb's input size: its map is 40 x 32

std::string explained_frames(int count) {
  return "videotestsrc num-buffers=" + std::to_string(count) + " pattern=ball ! video/x-raw,format=RGB,width=" +
         std::to_string(kWidth) + ",height=" + std::to_string(kHeight) +
         ",framerate=30/1 ! scorecamoverlay model-location=" + test_model("tiny_rgb.pt") + " ! ";
}

std::vector<json> read_records(const std::string& path) {
  std::vector<json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  return records;
}

std::vector<json> parse_all(const std::vector<std::string>& messages) {
  std::vector<json> records;
  for (const auto& message : messages) records.push_back(json::parse(message));
  return records;
}

std::set<int> frames_of(const std::vector<json>& records) {
  std::set<int> frames;
  for (const auto& record : records) frames.insert(record["frame"].get<int>());
  return frames;
}

struct Outcome {
  bool eos = false;
  std::string error;
  std::vector<std::string> warnings;
  std::string details;  // the debug strings of the error and the warnings
};

// The message's text; its debug string appended to `details` when given.
std::string text_of(GstMessage* message, std::string* details = nullptr) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) gst_message_parse_error(message, &error, &debug);
  else gst_message_parse_warning(message, &error, &debug);
  std::string text = error->message;
  if (details && debug) *details += std::string(debug) + "\n";
  g_clear_error(&error);
  g_free(debug);
  return text;
}

// Runs to EOS or an error (for at most 60 s after the last message), collecting the warnings on
// the way; the pipeline is unreffed.
Outcome run(GstElement* pipeline) {
  Outcome outcome;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  const auto types = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  while (GstMessage* message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, types)) {
    const GstMessageType type = GST_MESSAGE_TYPE(message);
    if (type == GST_MESSAGE_WARNING) outcome.warnings.push_back(text_of(message, &outcome.details));
    if (type == GST_MESSAGE_ERROR) outcome.error = text_of(message, &outcome.details);
    outcome.eos = type == GST_MESSAGE_EOS;
    gst_message_unref(message);
    if (type != GST_MESSAGE_WARNING) break;
  }
  if (!outcome.eos && outcome.error.empty()) outcome.error = "neither end of stream nor an error within 60 s";
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return outcome;
}

guint64 counter(GstElement* bin, const char* element, const char* name) {
  GstElement* publisher = gst_bin_get_by_name(GST_BIN(bin), element);
  guint64 value = 0;
  g_object_get(publisher, name, &value, nullptr);
  gst_object_unref(publisher);
  return value;
}

std::size_t count_containing(const std::vector<std::string>& texts, const std::string& part) {
  return std::count_if(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(part) != std::string::npos; });
}

TEST(Publish, AFileGetsOneRecordPerFrameWithTheClassification) {
  TempDir dir;
  const std::string path = dir.file("results.jsonl");
  GstElement* pipeline =
      scorecam_test::parse(explained_frames(6) + "scorecampublish name=pub file-path=" + path + " ! fakesink");
  gst_object_ref(pipeline);
  const Outcome outcome = run(pipeline);
  ASSERT_TRUE(outcome.eos) << outcome.error;
  EXPECT_EQ(counter(pipeline, "pub", "published"), 6u);
  gst_object_unref(pipeline);

  const auto records = read_records(path);
  ASSERT_EQ(records.size(), 6u);
  const std::string stream = records[0]["stream"];
  EXPECT_FALSE(stream.empty());
  for (int i = 0; i < 6; ++i) {
    const json& r = records[i];
    EXPECT_EQ(r["stream"], stream);
    EXPECT_EQ(r["frame"], i);
    EXPECT_NEAR(r["pts"].get<double>(), i / 30.0, 1e-6);
    EXPECT_EQ(r["explained"], true);
    EXPECT_EQ(r["valid"], true);
    EXPECT_GE(r["class_id"].get<int>(), 0);
    EXPECT_TRUE(r["label"].is_string());
    EXPECT_GE(r["confidence"].get<double>(), 0.0);
    EXPECT_LE(r["confidence"].get<double>(), 1.0);
    EXPECT_EQ(r["target_class"], r["class_id"]);
    EXPECT_EQ(r["source_pts"], r["pts"]) << "sync mode explains each frame itself";
    EXPECT_FALSE(r.contains("map")) << "map-size=0";
  }
}

TEST(Publish, TheMapIsDownsampledToMapSize) {
  TempDir dir;
  for (const auto& [map_size, width, height] : {std::tuple{8, 8, 6}, std::tuple{100, kWidth, kHeight}}) {
    const std::string path = dir.file("map" + std::to_string(map_size) + ".jsonl");
    const Outcome outcome = run(scorecam_test::parse(explained_frames(2) + "scorecampublish map-size=" +
                                                     std::to_string(map_size) + " file-path=" + path + " ! fakesink"));
    ASSERT_TRUE(outcome.eos) << outcome.error;
    for (const json& r : read_records(path)) {
      EXPECT_EQ(r["map"]["width"], width) << "map-size " << map_size;
      EXPECT_EQ(r["map"]["height"], height) << "map-size " << map_size;
      const auto& values = r["map"]["values"];
      ASSERT_EQ(values.size(), static_cast<std::size_t>(width * height));
      for (const auto& v : values) {
        EXPECT_TRUE(v.is_number_integer());
        EXPECT_GE(v.get<int>(), 0);
        EXPECT_LE(v.get<int>(), 255);
      }
      EXPECT_GT(*std::max_element(values.begin(), values.end()), 0) << "an all-zero map";
    }
  }
}

TEST(Publish, FramesWithoutAResultAreRecordedAsNotExplained) {
  TempDir dir;
  const std::string path = dir.file("plain.jsonl");
  const Outcome outcome =
      run(scorecam_test::parse("videotestsrc num-buffers=3 ! scorecampublish file-path=" + path + " ! fakesink"));
  ASSERT_TRUE(outcome.eos) << outcome.error;
  const auto records = read_records(path);
  ASSERT_EQ(records.size(), 3u);
  for (const json& r : records) {
    EXPECT_EQ(r["explained"], false);
    EXPECT_FALSE(r.contains("class_id"));
  }
}

// Every buffer's pts, size, checksum and identity on one pad.
struct PadLog {
  std::vector<std::tuple<GstClockTime, gsize, uint64_t, GstBuffer*>> buffers;
  static GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_READ);
    uint64_t sum = 1469598103934665603ull;  // FNV-1a
    for (gsize i = 0; i < map.size; ++i) sum = (sum ^ map.data[i]) * 1099511628211ull;
    gst_buffer_unmap(buffer, &map);
    static_cast<PadLog*>(data)->buffers.emplace_back(GST_BUFFER_PTS(buffer), map.size, sum, buffer);
    return GST_PAD_PROBE_OK;
  }
  void attach(GstElement* element, const char* pad_name) {
    GstPad* pad = gst_element_get_static_pad(element, pad_name);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &PadLog::on_buffer, this, nullptr);
    gst_object_unref(pad);
  }
};

TEST(Publish, BuffersPassThroughUntouched) {
  TempDir dir;
  GstElement* pipeline = scorecam_test::parse(explained_frames(5) + "scorecampublish name=pub map-size=4 file-path=" +
                                              dir.file("r.jsonl") + " ! fakesink");
  GstElement* publisher = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
  PadLog in, out;
  in.attach(publisher, "sink");
  out.attach(publisher, "src");
  gst_object_unref(publisher);
  const Outcome outcome = run(pipeline);
  ASSERT_TRUE(outcome.eos) << outcome.error;
  ASSERT_EQ(in.buffers.size(), 5u);
  EXPECT_EQ(in.buffers, out.buffers) << "a buffer was changed, replaced or lost";
}

TEST(Publish, TwoPublishersSendEveryFrameToTheirOwnTopics) {
  MosquittoBroker broker;
  MqttSubscriber subscriber(broker.port());
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
  const std::string mqtt = "method=mqtt address=" + broker.address();
  GstElement* pipeline = scorecam_test::parse(explained_frames(8) + "scorecampublish name=first map-size=4 " + mqtt +
                                              " ! scorecampublish name=second " + mqtt + " ! fakesink");
  gst_object_ref(pipeline);
  const Outcome outcome = run(pipeline);
  ASSERT_TRUE(outcome.eos) << outcome.error;
  EXPECT_TRUE(outcome.warnings.empty()) << outcome.warnings.front();
  EXPECT_EQ(counter(pipeline, "first", "published"), 8u);
  EXPECT_EQ(counter(pipeline, "second", "dropped"), 0u);
  gst_object_unref(pipeline);

  for (const std::string topic : {"scorecam/first", "scorecam/second"}) {
    ASSERT_TRUE(subscriber.wait_for(topic, 8)) << "8 results did not arrive within 20 s on " << topic;
    const auto records = parse_all(subscriber.messages(topic));
    ASSERT_EQ(records.size(), 8u) << topic;
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(records[i]["frame"], i) << topic;
      EXPECT_EQ(records[i]["explained"], true) << topic;
      EXPECT_EQ(records[i].contains("map"), topic == "scorecam/first");
    }
  }
}

TEST(Publish, NoBrokerAtAllNeverStopsTheVideo) {
  MosquittoBroker broker(false);  // its port, with nobody listening
  GstElement* pipeline = scorecam_test::parse(explained_frames(5) + "scorecampublish name=pub method=mqtt address=" +
                                              broker.address() + " flush-timeout=0.2 ! fakesink");
  gst_object_ref(pipeline);
  const Outcome outcome = run(pipeline);
  ASSERT_TRUE(outcome.eos) << outcome.error;
  EXPECT_EQ(count_containing(outcome.warnings, "cannot connect to " + broker.address()), 1u)
      << testing::PrintToString(outcome.warnings);
  EXPECT_EQ(count_containing(outcome.warnings, "5 not yet confirmed"), 1u) << "no summary at end of stream";
  EXPECT_EQ(counter(pipeline, "pub", "dropped"), 5u) << "what never reached a broker is counted";
  gst_object_unref(pipeline);
}

// The element under GstHarness, frames pushed one at a time, its bus watched: the broker can be
// stopped and started between frames.
class MqttHarness {
 public:
  explicit MqttHarness(const std::string& publisher_properties)
      : h_(gst_harness_new_parse(("scorecamoverlay model-location=" + test_model("tiny_rgb.pt") +
                                  " ! scorecampublish name=pub method=mqtt retry-min=1 retry-max=1 " +
                                  publisher_properties)
                                     .c_str())),
        bus_(gst_bus_new()) {
    gst_element_set_bus(h_->element, bus_);
    gst_harness_set_src_caps_str(h_, scorecam_test::caps_for("RGB", kWidth, kHeight).c_str());
  }
  ~MqttHarness() {
    gst_harness_teardown(h_);
    gst_object_unref(bus_);
  }

  // Pushes frames first..last-1 and takes each out at the other end: none may wait for the broker
  // (while it is away, a frame that waited for it would never come out). The bound on each frame
  // is loose, for loaded and instrumented builds.
  void push_frames(int first, int last) {
    for (int i = first; i < last; ++i) {
      const auto started = std::chrono::steady_clock::now();
      ASSERT_EQ(gst_harness_push(h_, scorecam_test::make_frame("RGB", kWidth, kHeight, i)), GST_FLOW_OK);
      GstBuffer* out = gst_harness_try_pull(h_);
      ASSERT_NE(out, nullptr) << "frame " << i << " did not come out";
      gst_buffer_unref(out);
      EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "frame " << i << " stalled";
    }
  }

  // EOS: the element waits up to flush-timeout for the broker to confirm what is queued.
  void end_of_stream() { gst_harness_push_event(h_, gst_event_new_eos()); }

  // The next warning on the bus, waited for up to 10 s (else a text saying there was none).
  std::string next_warning() {
    GstMessage* message = gst_bus_timed_pop_filtered(bus_, 10 * GST_SECOND, GST_MESSAGE_WARNING);
    if (!message) return "(no warning within 10 s)";
    const std::string text = text_of(message);
    gst_message_unref(message);
    return text;
  }

  std::vector<std::string> remaining_warnings() {
    std::vector<std::string> warnings;
    while (GstMessage* message = gst_bus_pop_filtered(bus_, GST_MESSAGE_WARNING)) {
      warnings.push_back(text_of(message));
      gst_message_unref(message);
    }
    return warnings;
  }

  guint64 counter(const char* name) { return ::counter(h_->element, "pub", name); }

 private:
  GstHarness* h_;
  GstBus* bus_;
};

constexpr const char* kHarnessTopic = "scorecam/pub";

// A broker, a subscriber to the harnessed publisher's topic, and the harness, through whose
// publisher the subscriber has already received frames 0 .. `frames`-1.
struct BrokerAndHarness {
  MosquittoBroker broker;
  MqttSubscriber subscriber{broker.port(), kHarnessTopic};
  std::unique_ptr<MqttHarness> harness;

  BrokerAndHarness(const std::string& publisher_properties, int frames) {
    EXPECT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s";
    harness = std::make_unique<MqttHarness>("address=" + broker.address() + " " + publisher_properties);
    harness->push_frames(0, frames);
    EXPECT_TRUE(subscriber.wait_for(kHarnessTopic, frames)) << frames << " results did not arrive within 20 s";
  }
  std::set<int> received_frames() { return frames_of(parse_all(subscriber.messages(kHarnessTopic))); }

  // The broker goes away; the element says so.
  void stop_broker() {
    broker.stop();
    const std::string lost = harness->next_warning();
    EXPECT_NE(lost.find("lost the broker at " + broker.address()), std::string::npos) << lost;
  }
};

TEST(Publish, ABrokerRestartMidStreamNeitherStallsTheVideoNorLosesAResult) {
  BrokerAndHarness setup("flush-timeout=10", 10);
  MosquittoBroker& broker = setup.broker;
  MqttHarness& harness = *setup.harness;

  setup.stop_broker();
  harness.push_frames(10, 30);  // while it is away
  broker.start();
  harness.push_frames(30, 40);
  harness.end_of_stream();

  EXPECT_EQ(harness.counter("dropped"), 0u);
  EXPECT_EQ(harness.counter("published"), 40u);
  // Results the restart caught unacknowledged may arrive twice: wait for 40 different ones.
  EXPECT_TRUE(setup.subscriber.wait_for_distinct(kHarnessTopic, 40, std::chrono::seconds(20)))
      << "40 different results did not arrive within 20 s";
  const std::set<int> received = setup.received_frames();
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(received.count(i)) << "frame " << i << " neither received nor dropped";
  EXPECT_TRUE(harness.remaining_warnings().empty()) << "one warning per outage, and nothing dropped";
}

TEST(Publish, ALongOutageWithASmallQueueKeepsTheNewestAndCountsTheRest) {
  BrokerAndHarness setup("max-queue=5 flush-timeout=10", 5);
  MosquittoBroker& broker = setup.broker;
  MqttHarness& harness = *setup.harness;

  setup.stop_broker();
  harness.push_frames(5, 35);
  EXPECT_EQ(harness.counter("dropped"), 25u) << "30 frames into a queue of 5";
  broker.start();
  harness.end_of_stream();
  const std::string summary = harness.next_warning();
  EXPECT_NE(summary.find("25 dropped"), std::string::npos) << "no summary at end of stream: " << summary;

  // 5 before the outage and the newest 5, some perhaps twice.
  const bool all_arrived = setup.subscriber.wait_for_distinct(kHarnessTopic, 10, std::chrono::seconds(20));
  const std::set<int> received = setup.received_frames();
  ASSERT_TRUE(all_arrived) << "10 different results did not arrive within 20 s; frames received: "
                           << testing::PrintToString(received);
  for (int i = 30; i < 35; ++i) EXPECT_TRUE(received.count(i)) << "newest frame " << i << " lost";
  int missing = 0;
  for (int i = 0; i < 35; ++i) missing += received.count(i) ? 0 : 1;
  EXPECT_EQ(static_cast<guint64>(missing), harness.counter("dropped")) << "every frame received or counted";
}

// A frozen broker keeps the connection open and answers nothing: the element says so once nothing
// has been confirmed for 5 s, and the results queued meanwhile arrive once it is thawed.
TEST(Publish, AFrozenBrokerIsWarnedAboutOnceAndGetsTheQueueWhenThawed) {
  BrokerAndHarness setup("flush-timeout=10", 5);
  MqttHarness& harness = *setup.harness;
  setup.broker.freeze();
  int frames = 5;
  std::string warning;
  const bool warned = scorecam_test::wait_until(
      [&] {
        harness.push_frames(frames, frames + 1);
        ++frames;
        const auto warnings = harness.remaining_warnings();
        if (!warnings.empty()) warning = warnings.front();
        return !warning.empty();
      },
      std::chrono::seconds(15), std::chrono::milliseconds(100));
  ASSERT_TRUE(warned) << "no warning within 15 s of the broker freezing";
  EXPECT_NE(warning.find("the broker at " + setup.broker.address() + " has confirmed nothing for"), std::string::npos)
      << warning;
  setup.broker.thaw();
  harness.push_frames(frames, frames + 5);
  frames += 5;
  harness.end_of_stream();
  EXPECT_TRUE(setup.subscriber.wait_for_distinct(kHarnessTopic, static_cast<std::size_t>(frames), std::chrono::seconds(20)))
      << frames << " different results did not arrive within 20 s";
  EXPECT_EQ(harness.counter("dropped"), 0u);
  EXPECT_TRUE(harness.remaining_warnings().empty()) << "one warning per outage, not one per frame";
}

const std::string kPassword = "camera S3cret";

// A broker that takes only the user camera, over TLS with certificates made for this test.
struct SecuredBroker {
  scorecam_test::TestCertificates certificates;
  scorecam_test::ScratchDirectory directory;
  MosquittoBroker broker{scorecam_test::BrokerSecurity{{{"camera", kPassword}},
                                                       certificates.ca(),
                                                       certificates.server_certificate(),
                                                       certificates.server_key(),
                                                       false}};

  // The element's properties for this broker, with this password in its password file.
  std::string properties(const std::string& password) {
    std::ofstream(directory.file("password")) << password << "\n";
    return "method=mqtt address=" + broker.address() + " username=camera password-file=" + directory.file("password") +
           " ca-file=" + certificates.ca();
  }
};

TEST(Publish, ABrokerWithALoginAndTlsGetsEveryRecord) {
  SecuredBroker secured;
  MqttSubscriber subscriber(secured.broker.port(), "#",
                            {"camera", kPassword, secured.certificates.ca(), "", ""});
  ASSERT_TRUE(subscriber.wait_subscribed()) << "no subscription within 10 s:\n" << secured.broker.log();
  // The password from its file, then from the environment.
  const std::string from_file = secured.properties(kPassword);
  const std::string from_environment = "method=mqtt address=" + secured.broker.address() +
                                       " username=camera ca-file=" + secured.certificates.ca();
  setenv("SCORECAM_MQTT_PASSWORD", kPassword.c_str(), 1);
  for (const auto& [name, properties] : {std::pair{"file", from_file}, std::pair{"environment", from_environment}}) {
    const Outcome outcome = run(scorecam_test::parse(explained_frames(6) + "scorecampublish name=" + name + " " +
                                                     properties + " ! fakesink"));
    ASSERT_TRUE(outcome.eos) << outcome.error;
    EXPECT_TRUE(outcome.warnings.empty()) << outcome.warnings.front();
    const std::string topic = std::string("scorecam/") + name;
    ASSERT_TRUE(subscriber.wait_for(topic, 6)) << "6 results did not arrive within 20 s on " << topic;
    EXPECT_EQ(frames_of(parse_all(subscriber.messages(topic))), (std::set<int>{0, 1, 2, 3, 4, 5}));
  }
  unsetenv("SCORECAM_MQTT_PASSWORD");
}

TEST(Publish, ARefusedLoginStopsThePipelineWithAnErrorNamingTheReasonNotThePassword) {
  SecuredBroker secured;
  const std::string wrong = "wrong Passw0rd";
  const auto started = std::chrono::steady_clock::now();
  scorecam_test::DebugLogCapture log("scorecampublish");
  // A live source of 10 s: the refusal must end it long before.
  const Outcome outcome = run(scorecam_test::parse("videotestsrc is-live=true num-buffers=300 ! scorecampublish " +
                                                   secured.properties(wrong) + " ! fakesink"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "the refusal took long";
  EXPECT_NE(log.text().find("as camera"), std::string::npos) << "the debug log was not captured:\n" << log.text();
  EXPECT_EQ(log.text().find(wrong), std::string::npos) << "the password is in the debug log:\n" << log.text();
  EXPECT_FALSE(outcome.eos);
  EXPECT_NE(outcome.error.find("refused the login as user 'camera'"), std::string::npos) << outcome.error;
  EXPECT_NE(outcome.error.find("password-file"), std::string::npos) << "says what to check: " << outcome.error;
  for (const std::string& text : {outcome.error, outcome.details})
    EXPECT_EQ(text.find(wrong), std::string::npos) << "the password was echoed: " << text;
  EXPECT_TRUE(outcome.warnings.empty() || outcome.warnings.front().find("lost the broker") == std::string::npos)
      << "a refusal is not an outage: " << outcome.warnings.front();
}

TEST(Publish, TheTopicDefaultsToTheElementNameAndSettingsAreFixedWhileRunning) {
  TempDir dir;
  GstHarness* h = gst_harness_new_parse(("scorecampublish name=camera1 file-path=" + dir.file("a.jsonl")).c_str());
  GstElement* publisher = gst_bin_get_by_name(GST_BIN(h->element), "camera1");
  gchar* topic = nullptr;
  g_object_get(publisher, "topic", &topic, nullptr);
  EXPECT_STREQ(topic, "scorecam/camera1");
  g_free(topic);
  {
    scorecam_test::WarningCapture warnings;
    g_object_set(publisher, "file-path", dir.file("b.jsonl").c_str(), nullptr);
    ASSERT_EQ(warnings.warnings().size(), 1u);
    EXPECT_NE(warnings.warnings()[0].find("'file-path' can only be changed"), std::string::npos);
  }
  gchar* path = nullptr;
  g_object_get(publisher, "file-path", &path, nullptr);
  EXPECT_EQ(path, dir.file("a.jsonl"));
  g_free(path);
  gst_object_unref(publisher);
  gst_harness_teardown(h);
}

// The error a pipeline stops with when the element cannot start.
std::string start_error(const std::string& publisher_properties) {
  const Outcome outcome =
      run(scorecam_test::parse("videotestsrc num-buffers=2 ! scorecampublish " + publisher_properties + " ! fakesink"));
  EXPECT_FALSE(outcome.eos) << publisher_properties;
  return outcome.error;
}

TEST(Publish, SettingsThatCannotWorkAreErrorsSayingWhatToFix) {
  EXPECT_NE(start_error("").find("no file-path"), std::string::npos);
  EXPECT_NE(start_error("file-path=/nonexistent-directory/r.jsonl").find("'/nonexistent-directory/r.jsonl'"),
            std::string::npos);
  EXPECT_NE(start_error("file-path=/dev/full").find("No space left on device"), std::string::npos)
      << "a failed write must stop the stream";
  const std::string bad_address = start_error("method=mqtt address=localhost");
  EXPECT_NE(bad_address.find("'localhost'"), std::string::npos) << bad_address;
  EXPECT_NE(bad_address.find("host:port"), std::string::npos) << bad_address;
  EXPECT_NE(start_error("method=mqtt address=no-such-host.invalid:1883").find("no-such-host.invalid"),
            std::string::npos);
  EXPECT_NE(start_error("method=mqtt topic=scorecam/#").find("invalid MQTT topic"), std::string::npos);
  const std::string no_ca = start_error("method=mqtt ca-file=/nonexistent/ca.crt");
  EXPECT_NE(no_ca.find("'/nonexistent/ca.crt': No such file or directory"), std::string::npos) << no_ca;
  const std::string no_password = start_error("method=mqtt username=camera password-file=/nonexistent/password");
  EXPECT_NE(no_password.find("'/nonexistent/password'"), std::string::npos) << no_password;
  const Outcome in_address = run(scorecam_test::parse(
      "videotestsrc num-buffers=2 ! scorecampublish method=mqtt address=camera:S3cret@127.0.0.1:1883 ! fakesink"));
  EXPECT_NE(in_address.error.find("credentials do not go in the address"), std::string::npos) << in_address.error;
  for (const std::string& text : {in_address.error, in_address.details})
    EXPECT_EQ(text.find("S3cret"), std::string::npos) << "the password was echoed: " << text;

  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch("videotestsrc ! scorecampublish method=kafka ! fakesink", &error);
  ASSERT_NE(error, nullptr) << "an unknown method was accepted";
  EXPECT_NE(std::string(error->message).find("method"), std::string::npos) << error->message;
  g_clear_error(&error);
  if (pipeline) gst_object_unref(pipeline);
}

}  // namespace
