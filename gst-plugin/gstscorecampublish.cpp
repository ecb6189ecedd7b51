/**
 * SECTION:element-scorecampublish
 *
 * Publishes the per-frame results that scorecamoverlay attached to each buffer (the
 * classification, and with map-size > 0 the map downsampled) as one JSON record per frame, to a
 * JSON Lines file or to an MQTT broker, in the manner of DL Streamer's gvametapublish. The buffers
 * pass through untouched, whatever their caps.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! videoconvert ! scorecamoverlay ! \
 *     scorecampublish method=mqtt address=127.0.0.1:1883 ! fakesink
 * ]|
 *
 * To a secured broker: `username=camera password-file=/run/secrets/mqtt ca-file=/etc/ssl/broker-ca.crt`
 * (the password from that file, or SCORECAM_MQTT_PASSWORD; it never appears in a property, a log
 * or a message).
 *
 * The element is glue: the record, the file and the MQTT client (its queue, reconnection, login
 * and counters) live in scorecam_publish. A lost broker never holds up the video: messages wait in
 * a bounded queue (the oldest dropped and counted when it is full) while the client reconnects. A
 * broker that refuses the login (or whose certificate is not trusted) is an error, not retried.
 */
#include "gstscorecampublish.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "element_glue.h"
#include "gstscorecammeta.h"
#include "result_codec.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/frame_record.h"
#include "scorecam/publish/json_lines_writer.h"
#include "scorecam/publish/mqtt_password.h"
#include "scorecam/publish/mqtt_publisher.h"

GST_DEBUG_CATEGORY_STATIC(gst_scorecam_publish_debug);
#define GST_CAT_DEFAULT gst_scorecam_publish_debug

namespace publish = scorecam::publish;

namespace {

enum class Method { File, Mqtt };

GType method_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(Method::File), "One JSON record per line, written to file-path", "file"},
      {static_cast<gint>(Method::Mqtt), "One MQTT message per record, to topic on the broker at address", "mqtt"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstScoreCamPublishMethod", values));
  return type;
}

enum {
  PROP_0,
  PROP_METHOD,
  PROP_FILE_PATH,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_CLIENT_ID,
  PROP_QOS,
  PROP_MAX_QUEUE,
  PROP_RETRY_MIN,
  PROP_RETRY_MAX,
  PROP_USERNAME,
  PROP_PASSWORD_FILE,
  PROP_CA_FILE,
  PROP_CERT_FILE,
  PROP_KEY_FILE,
  PROP_MAP_SIZE,
  PROP_FLUSH_TIMEOUT,
  PROP_PUBLISHED,
  PROP_DROPPED,
};

// All read when the element starts (READY -> PAUSED).
struct Settings {
  Method method = Method::File;
  std::string file_path;
  std::string address = publish::MqttOptions{}.address;
  std::string topic;  // empty: scorecam/<element name>
  std::string client_id;
  int qos = publish::MqttOptions{}.qos;
  guint max_queue = static_cast<guint>(publish::MqttOptions{}.max_queue);
  guint retry_min = static_cast<guint>(publish::MqttOptions{}.retry_min.count());
  guint retry_max = static_cast<guint>(publish::MqttOptions{}.retry_max.count());
  std::string username;
  std::string password_file;  // the path: the password itself is read at start, for the publisher only
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  guint map_size = 0;
  double flush_timeout = 5.0;
};

std::string effective_topic(const Settings& s, GstElement* element) {
  return s.topic.empty() ? std::string("scorecam/") + GST_ELEMENT_NAME(element) : s.topic;
}

// What scorecamoverlay found for this buffer: none before its first result (async mode).
std::optional<publish::Explanation> explanation_of(GstBuffer* buffer, guint map_size) {
  const auto classification = scorecam_gst::classification_of(buffer);
  if (!classification) return std::nullopt;
  publish::Explanation e;
  e.valid = classification->valid;
  e.class_id = classification->class_id;
  e.label = classification->label;
  e.confidence = classification->confidence;
  if (const GstScoreCamMeta* map = gst_buffer_get_scorecam_meta(buffer)) {
    e.target_class = map->class_id;
    e.source_pts = scorecam_gst::seconds_of(map->source_pts);
    if (map_size > 0)
      e.map = publish::downsample_map(map->values, static_cast<int>(map->map_width), static_cast<int>(map->map_height),
                                      static_cast<int>(map_size));
  }
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The element's C++ side.

class ScoreCamPublishImpl {
 public:
  explicit ScoreCamPublishImpl(GstScoreCamPublish* element) : element_(GST_ELEMENT(element)) {}

  void set_property(guint id, const GValue* value, GParamSpec* pspec);
  void get_property(guint id, GValue* value, GParamSpec* pspec);

  bool start();
  void stop();
  void sink_event(GstEvent* event);
  GstFlowReturn publish(GstBuffer* buffer);

 private:
  void stream_start(GstEvent* event);
  void end_of_stream();
  void open(const Settings& s);
  void on_connection(publish::ConnectionEvent event, const std::string& detail);
  bool running();
  publish::PublisherCounters counters();
  void post_summary(const publish::PublisherCounters& counters, std::size_t unconfirmed);

  GstElement* element_;

  scorecam_gst::LockedSettings<Settings> settings_;

  // Between start() and stop(); the counters are also read by property threads.
  std::mutex sink_lock_;
  std::unique_ptr<publish::JsonLinesWriter> file_;
  std::unique_ptr<publish::MqttPublisher> mqtt_;
  publish::PublisherCounters last_counters_;  // of the last run, after stop()

  // Streaming thread only.
  std::string stream_id_;
  uint64_t frames_ = 0;
  guint map_size_ = 0;
  double flush_timeout_ = 0;
  bool summary_posted_ = false;
};

struct _GstScoreCamPublish {
  GstBaseTransform parent;
  ScoreCamPublishImpl* impl;
};

void ScoreCamPublishImpl::set_property(guint id, const GValue* value, GParamSpec* pspec) {
  if (running()) {
    scorecam_gst::warn_changeable_only_when_stopped(element_, pspec);
    return;
  }
  const auto text = [value] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  settings_.change([&](Settings& s) {
    switch (id) {
      case PROP_METHOD: s.method = static_cast<Method>(g_value_get_enum(value)); break;
      case PROP_FILE_PATH: s.file_path = text(); break;
      case PROP_ADDRESS: s.address = text(); break;
      case PROP_TOPIC: s.topic = text(); break;
      case PROP_CLIENT_ID: s.client_id = text(); break;
      case PROP_QOS: s.qos = g_value_get_int(value); break;
      case PROP_MAX_QUEUE: s.max_queue = g_value_get_uint(value); break;
      case PROP_RETRY_MIN: s.retry_min = g_value_get_uint(value); break;
      case PROP_RETRY_MAX: s.retry_max = g_value_get_uint(value); break;
      case PROP_USERNAME: s.username = text(); break;
      case PROP_PASSWORD_FILE: s.password_file = text(); break;
      case PROP_CA_FILE: s.ca_file = text(); break;
      case PROP_CERT_FILE: s.cert_file = text(); break;
      case PROP_KEY_FILE: s.key_file = text(); break;
      case PROP_MAP_SIZE: s.map_size = g_value_get_uint(value); break;
      case PROP_FLUSH_TIMEOUT: s.flush_timeout = g_value_get_double(value); break;
      default: G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
    }
  });
}

void ScoreCamPublishImpl::get_property(guint id, GValue* value, GParamSpec* pspec) {
  if (id == PROP_PUBLISHED || id == PROP_DROPPED) {
    const auto c = counters();
    g_value_set_uint64(value, id == PROP_PUBLISHED ? c.published : c.dropped);
    return;
  }
  const Settings s = settings_.copy();
  switch (id) {
    case PROP_METHOD: g_value_set_enum(value, static_cast<gint>(s.method)); break;
    case PROP_FILE_PATH: g_value_set_string(value, s.file_path.c_str()); break;
    case PROP_ADDRESS: g_value_set_string(value, s.address.c_str()); break;
    case PROP_TOPIC: g_value_set_string(value, effective_topic(s, element_).c_str()); break;
    case PROP_CLIENT_ID: g_value_set_string(value, s.client_id.c_str()); break;
    case PROP_QOS: g_value_set_int(value, s.qos); break;
    case PROP_MAX_QUEUE: g_value_set_uint(value, s.max_queue); break;
    case PROP_RETRY_MIN: g_value_set_uint(value, s.retry_min); break;
    case PROP_RETRY_MAX: g_value_set_uint(value, s.retry_max); break;
    case PROP_USERNAME: g_value_set_string(value, s.username.c_str()); break;
    case PROP_PASSWORD_FILE: g_value_set_string(value, s.password_file.c_str()); break;
    case PROP_CA_FILE: g_value_set_string(value, s.ca_file.c_str()); break;
    case PROP_CERT_FILE: g_value_set_string(value, s.cert_file.c_str()); break;
    case PROP_KEY_FILE: g_value_set_string(value, s.key_file.c_str()); break;
    case PROP_MAP_SIZE: g_value_set_uint(value, s.map_size); break;
    case PROP_FLUSH_TIMEOUT: g_value_set_double(value, s.flush_timeout); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
  }
}

bool ScoreCamPublishImpl::running() {
  std::lock_guard<std::mutex> lock(sink_lock_);
  return mqtt_ || file_;
}

publish::PublisherCounters ScoreCamPublishImpl::counters() {
  std::lock_guard<std::mutex> lock(sink_lock_);
  if (mqtt_) return mqtt_->counters();
  if (file_) return {file_->lines(), 0, 0, 0};
  return last_counters_;
}

void ScoreCamPublishImpl::open(const Settings& s) {
  if (s.method == Method::File) {
    if (s.file_path.empty())
      throw publish::PublishError("no file-path: method=file writes one JSON record per frame to the file it names");
    auto file = std::make_unique<publish::JsonLinesWriter>(s.file_path);
    std::lock_guard<std::mutex> lock(sink_lock_);
    file_ = std::move(file);
    return;
  }
  publish::MqttOptions options;
  options.address = s.address;
  options.topic = effective_topic(s, element_);
  options.client_id = s.client_id;
  options.qos = s.qos;
  options.max_queue = s.max_queue;
  options.retry_min = std::chrono::seconds(s.retry_min);
  options.retry_max = std::chrono::seconds(s.retry_max);
  options.username = s.username;
  // SCORECAM_MQTT_PASSWORD is for logging in: without a username it is not read.
  if (!s.username.empty() || !s.password_file.empty()) options.password = publish::read_mqtt_password(s.password_file);
  options.ca_file = s.ca_file;
  options.cert_file = s.cert_file;
  options.key_file = s.key_file;
  auto mqtt = std::make_unique<publish::MqttPublisher>(
      options, [this](publish::ConnectionEvent event, const std::string& detail) { on_connection(event, detail); });
  GST_INFO_OBJECT(element_, "publishing to topic %s at %s%s%s", options.topic.c_str(), options.address.c_str(),
                  options.username.empty() ? "" : " as ", options.username.c_str());
  std::lock_guard<std::mutex> lock(sink_lock_);
  mqtt_ = std::move(mqtt);
}

bool ScoreCamPublishImpl::start() {
  const Settings s = settings_.copy();
  try {
    open(s);
  } catch (const std::exception& e) {
    if (s.method == Method::File) {
      GST_ELEMENT_ERROR(element_, RESOURCE, OPEN_WRITE, ("%s", e.what()), ("file-path=%s", s.file_path.c_str()));
    } else {
      GST_ELEMENT_ERROR(element_, RESOURCE, SETTINGS, ("%s", e.what()),
                        ("address=%s topic=%s", publish::redacted_address(s.address).c_str(),
                         effective_topic(s, element_).c_str()));
    }
    return false;
  }
  stream_id_.clear();
  frames_ = 0;
  map_size_ = s.map_size;
  flush_timeout_ = s.flush_timeout;
  summary_posted_ = false;
  return true;
}

// Called by the MQTT client's thread: once when the broker goes away or stalls (however long it
// stays away), each time it is back, and once if it refuses this client: then publish() fails the
// stream, since retrying cannot help.
void ScoreCamPublishImpl::on_connection(publish::ConnectionEvent event, const std::string& detail) {
  switch (event) {
    case publish::ConnectionEvent::up: GST_INFO_OBJECT(element_, "%s", detail.c_str()); break;
    case publish::ConnectionEvent::down:
      GST_ELEMENT_WARNING(element_, RESOURCE, WRITE,
                          ("%s; the video goes on: results wait in a queue (max-queue, the oldest dropped beyond it) "
                           "until the broker takes them again",
                           detail.c_str()),
                          (nullptr));
      break;
    case publish::ConnectionEvent::refused:
      GST_ELEMENT_ERROR(element_, RESOURCE, NOT_AUTHORIZED, ("%s", detail.c_str()), (nullptr));
      break;
  }
}

void ScoreCamPublishImpl::post_summary(const publish::PublisherCounters& c, std::size_t unconfirmed) {
  summary_posted_ = true;
  if (c.dropped == 0 && unconfirmed == 0) return;
  GST_ELEMENT_WARNING(element_, RESOURCE, WRITE,
                      ("%" G_GUINT64_FORMAT " results published, %" G_GUINT64_FORMAT
                       " dropped (the broker was away and the queue full, or they were still unconfirmed when the "
                       "element stopped), %" G_GSIZE_FORMAT " not yet confirmed",
                       c.published, c.dropped, unconfirmed),
                      (nullptr));
}

void ScoreCamPublishImpl::end_of_stream() {
  if (!mqtt_) return;
  const std::size_t unconfirmed =
      mqtt_->flush(std::chrono::milliseconds(static_cast<int64_t>(flush_timeout_ * 1000)));
  post_summary(mqtt_->counters(), unconfirmed);
}

void ScoreCamPublishImpl::stop() {
  std::lock_guard<std::mutex> lock(sink_lock_);
  if (mqtt_) {
    last_counters_ = mqtt_->close(std::chrono::milliseconds(0));
    if (!summary_posted_) post_summary(last_counters_, 0);
  } else if (file_) {
    last_counters_ = {file_->lines(), 0, 0, 0};
  }
  mqtt_.reset();
  file_.reset();
}

void ScoreCamPublishImpl::sink_event(GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_STREAM_START) stream_start(event);
  // Before EOS goes on, so that the summary precedes it on the bus.
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) end_of_stream();
}

void ScoreCamPublishImpl::stream_start(GstEvent* event) {
  const gchar* id = nullptr;
  gst_event_parse_stream_start(event, &id);
  stream_id_ = id ? id : "";
}

GstFlowReturn ScoreCamPublishImpl::publish(GstBuffer* buffer) {
  const publish::FrameRecord record{stream_id_, frames_++, scorecam_gst::seconds_of(GST_BUFFER_PTS(buffer)),
                                    explanation_of(buffer, map_size_)};
  const std::string line = publish::to_json_line(record);
  if (mqtt_) return mqtt_->publish(line) ? GST_FLOW_OK : GST_FLOW_ERROR;  // refused: the error is posted
  try {
    file_->write(line);
  } catch (const publish::PublishError& e) {
    GST_ELEMENT_ERROR(element_, RESOURCE, WRITE, ("%s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

// ---------------------------------------------------------------------------------------------
// GObject and GStreamer glue. No C++ exception may cross into GStreamer.

G_DEFINE_TYPE(GstScoreCamPublish, gst_scorecam_publish, GST_TYPE_BASE_TRANSFORM)
GST_ELEMENT_REGISTER_DEFINE(scorecampublish, "scorecampublish", GST_RANK_NONE, GST_TYPE_SCORECAM_PUBLISH)

namespace {

using Hooks = scorecam_gst::TransformHooks<GstScoreCamPublish, ScoreCamPublishImpl>;

GstFlowReturn transform_ip(GstBaseTransform* trans, GstBuffer* buffer) {
  return Hooks::guarded(trans, GST_FLOW_ERROR, [buffer](ScoreCamPublishImpl* impl) { return impl->publish(buffer); });
}

using scorecam_gst::kReadOnly;
using scorecam_gst::kReady;

void install_properties(GObjectClass* klass) {
  const Settings defaults;
  auto install = [klass](guint id, GParamSpec* pspec) { g_object_class_install_property(klass, id, pspec); };
  install(PROP_METHOD, g_param_spec_enum("method", "Method", "Where the records go: a JSON Lines file or an MQTT broker",
                                         method_get_type(), static_cast<gint>(defaults.method), kReady));
  install(PROP_FILE_PATH, g_param_spec_string("file-path", "File path",
                                              "method=file: the JSON Lines file, created or replaced", "", kReady));
  install(PROP_ADDRESS, g_param_spec_string("address", "Address", "method=mqtt: the broker's host:port",
                                            defaults.address.c_str(), kReady));
  install(PROP_TOPIC, g_param_spec_string("topic", "Topic",
                                          "method=mqtt: the topic to publish to (empty: scorecam/<element name>)", "",
                                          kReady));
  install(PROP_CLIENT_ID,
          g_param_spec_string("client-id", "Client id",
                              "method=mqtt: the MQTT client id (empty: a random one; two clients with the same id "
                              "push each other off the broker)",
                              "", kReady));
  install(PROP_QOS, g_param_spec_int("qos", "QoS",
                                     "method=mqtt: 1 = at least once (confirmed by the broker, sent again after a "
                                     "reconnection), 0 = at most once",
                                     0, 1, defaults.qos, kReady));
  install(PROP_MAX_QUEUE,
          g_param_spec_uint("max-queue", "Max queue",
                            "method=mqtt: records waiting for the broker; beyond it the oldest is dropped and counted",
                            1, G_MAXINT, defaults.max_queue, kReady));
  install(PROP_RETRY_MIN, g_param_spec_uint("retry-min", "Retry min",
                                            "method=mqtt: seconds before the first reconnection; doubled after each "
                                            "failure up to retry-max",
                                            1, 3600, defaults.retry_min, kReady));
  install(PROP_RETRY_MAX, g_param_spec_uint("retry-max", "Retry max",
                                            "method=mqtt: longest wait between reconnections, in seconds", 1, 3600,
                                            defaults.retry_max, kReady));
  install(PROP_USERNAME, g_param_spec_string("username", "Username",
                                             "method=mqtt: the user to log in to the broker as (empty: anonymous); "
                                             "the password comes from password-file or SCORECAM_MQTT_PASSWORD",
                                             "", kReady));
  install(PROP_PASSWORD_FILE,
          g_param_spec_string("password-file", "Password file",
                              "method=mqtt: a file whose first line is the password for username (empty: the "
                              "environment variable SCORECAM_MQTT_PASSWORD, else no password); read at start",
                              "", kReady));
  install(PROP_CA_FILE, g_param_spec_string("ca-file", "CA file",
                                            "method=mqtt: TLS: the PEM CA certificate that signed the broker's "
                                            "certificate, which must name the host of address (empty: no TLS)",
                                            "", kReady));
  install(PROP_CERT_FILE, g_param_spec_string("cert-file", "Certificate file",
                                              "method=mqtt with ca-file: the PEM client certificate, for brokers that "
                                              "want one (with key-file)",
                                              "", kReady));
  install(PROP_KEY_FILE, g_param_spec_string("key-file", "Key file",
                                             "method=mqtt with cert-file: the client certificate's PEM key, not "
                                             "encrypted",
                                             "", kReady));
  install(PROP_MAP_SIZE,
          g_param_spec_uint("map-size", "Map size",
                            "Include the saliency map shrunk so that its longer side is at most this, as integers "
                            "0-255 row by row (0: no map)",
                            0, 4096, defaults.map_size, kReady));
  install(PROP_FLUSH_TIMEOUT,
          g_param_spec_double("flush-timeout", "Flush timeout",
                              "method=mqtt: seconds to wait at end of stream for queued records to be confirmed", 0,
                              3600, defaults.flush_timeout, kReady));
  install(PROP_PUBLISHED, g_param_spec_uint64("published", "Published",
                                              "Records written (file) or confirmed by the broker (mqtt)", 0,
                                              G_MAXUINT64, 0, kReadOnly));
  install(PROP_DROPPED, g_param_spec_uint64("dropped", "Dropped",
                                            "Records lost: pushed out of a full queue while the broker was away, or "
                                            "unconfirmed when the element stopped",
                                            0, G_MAXUINT64, 0, kReadOnly));
}

}  // namespace

static void gst_scorecam_publish_class_init(GstScoreCamPublishClass* klass) {
  GST_DEBUG_CATEGORY_INIT(gst_scorecam_publish_debug, "scorecampublish", 0, "Score-CAM results publisher");
  scorecam_gst::describe_element(
      GST_ELEMENT_CLASS(klass), "Score-CAM results publisher", "Filter/Metadata",
      "Publishes the classification (and optionally the map) scorecamoverlay attached to each frame to a JSON Lines "
      "file or an MQTT broker, without touching the video. Example: gst-launch-1.0 videotestsrc num-buffers=100 ! "
      "videoconvert ! scorecamoverlay ! scorecampublish method=mqtt address=127.0.0.1:1883 ! fakesink",
      "ANY");

  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  Hooks::install(trans_class, install_properties);
  trans_class->transform_ip = transform_ip;
  trans_class->transform_ip_on_passthrough = TRUE;  // read-only: the buffer may not be writable

  gst_type_mark_as_plugin_api(method_get_type(), static_cast<GstPluginAPIFlags>(0));
}

static void gst_scorecam_publish_init(GstScoreCamPublish* self) {
  self->impl = new ScoreCamPublishImpl(self);
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
