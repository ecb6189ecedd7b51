// A client of an RTSP server, as a viewer runs one: rtspsrc, decoded to grey frames that it counts
// (with the brightest frame's mean, to tell a camera's frames from black ones), optionally logging
// in and checking the server's TLS certificate against a CA file. Its errors, such as a refusal,
// are read from its bus.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>

#include <gio/gio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "support/gst_util.h"

namespace scorecam_test {

struct RtspLogin {
  std::string user, password;
  std::string ca_file;  // rtsps://: the certificate that signed the server's, PEM
};

class RtspClient {
 public:
  explicit RtspClient(const std::string& url, const RtspLogin& login = {}) {
    pipeline_ = parse("rtspsrc name=source protocols=tcp ! decodebin ! videoconvert ! video/x-raw,format=GRAY8 ! "
                      "fakesink name=sink");
    GstElement* source = gst_bin_get_by_name(GST_BIN(pipeline_), "source");
    g_object_set(source, "location", url.c_str(), nullptr);
    if (!login.user.empty())
      g_object_set(source, "user-id", login.user.c_str(), "user-pw", login.password.c_str(), nullptr);
    if (!login.ca_file.empty()) {
      GError* error = nullptr;
      GTlsDatabase* database = g_tls_file_database_new(login.ca_file.c_str(), &error);
      EXPECT_NE(database, nullptr) << login.ca_file << ": " << (error ? error->message : "");
      g_clear_error(&error);
      if (database) {
        g_object_set(source, "tls-database", database, nullptr);
        g_object_unref(database);
      }
    }
    gst_object_unref(source);
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &RtspClient::on_frame, this, nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~RtspClient() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }
  RtspClient(const RtspClient&) = delete;
  RtspClient& operator=(const RtspClient&) = delete;

  int frames() const { return frames_; }
  double brightest() const { return brightest_; }

  // The first error its pipeline posts within `timeout` ("" if none); `refused`: whether it is the
  // server's refusal to let it in (rtspsrc's "not authorized", from a 401).
  std::string error_within(std::chrono::milliseconds timeout, bool* refused = nullptr) {
    GstBus* bus = gst_element_get_bus(pipeline_);
    GstMessage* message = gst_bus_timed_pop_filtered(
        bus, static_cast<GstClockTime>(std::chrono::nanoseconds(timeout).count()), GST_MESSAGE_ERROR);
    gst_object_unref(bus);
    if (!message) return "";
    GError* error = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &error, &debug);
    if (refused) *refused = g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
    const std::string text = std::string(error->message) + (debug ? std::string(" (") + debug + ")" : "");
    g_clear_error(&error);
    g_free(debug);
    gst_message_unref(message);
    return text;
  }

 private:
  static GstPadProbeReturn on_frame(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<RtspClient*>(data);
    GstMapInfo map;
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      double sum = 0;
      for (gsize i = 0; i < map.size; ++i) sum += map.data[i];
      self->brightest_ = std::max(self->brightest_.load(), sum / static_cast<double>(std::max<gsize>(map.size, 1)));
      gst_buffer_unmap(buffer, &map);
    }
    ++self->frames_;
    return GST_PAD_PROBE_OK;
  }

  GstElement* pipeline_;
  std::atomic<int> frames_{0};
  std::atomic<double> brightest_{0};
};

}  // namespace scorecam_test
