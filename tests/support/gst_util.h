// Helpers shared by the gst tests: scratch directories, reading a file, running a pipeline,
// capturing GLib warnings and GStreamer's debug log.
#pragma once

#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

namespace scorecam_test {

// A fresh directory, removed with its files (no subdirectories) when the object goes.
class TempDir {
 public:
  TempDir() {
    gchar* dir = g_dir_make_tmp("scorecam-gst-XXXXXX", nullptr);
    path_ = dir ? dir : "";
    g_free(dir);
  }
  ~TempDir() { remove(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static void remove(const std::string& path) {
    if (GDir* dir = g_dir_open(path.c_str(), 0, nullptr)) {
      while (const gchar* name = g_dir_read_name(dir)) {
        const std::string child = path + "/" + name;
        if (g_file_test(child.c_str(), G_FILE_TEST_IS_DIR)) remove(child);
        else g_remove(child.c_str());
      }
      g_dir_close(dir);
    }
    g_rmdir(path.c_str());
  }

  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct RunResult {
  bool ok = false;     // reached EOS
  std::string error;   // the first error message, or why it did not finish
};

// Runs a pipeline until EOS, an error or the timeout. `pipeline` is set to NULL afterwards.
inline RunResult run_to_eos(GstElement* pipeline, GstClockTime timeout = 60 * GST_SECOND) {
  RunResult result;
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    result.error = "cannot start the pipeline; ";
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* message =
      gst_bus_timed_pop_filtered(bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (!message) {
    result.error += "timed out";
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError* error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    result.error += error->message;
    g_clear_error(&error);
  } else {
    result.ok = result.error.empty();
  }
  if (message) gst_message_unref(message);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return result;
}

inline GstElement* parse(const std::string& description) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  EXPECT_EQ(error, nullptr) << description << ": " << (error ? error->message : "");
  g_clear_error(&error);
  return pipeline;
}

// Captures the warnings GLib and the element print, e.g. for a rejected property change.
class WarningCapture {
 public:
  WarningCapture() {
    for (const char* domain : {static_cast<const char*>(nullptr), "GLib-GObject"})
      handlers_.emplace_back(domain, g_log_set_handler(domain, G_LOG_LEVEL_WARNING, &WarningCapture::on_log, this));
  }
  ~WarningCapture() {
    for (const auto& [domain, id] : handlers_) g_log_remove_handler(domain, id);
  }
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  static void on_log(const gchar*, GLogLevelFlags, const gchar* message, gpointer self) {
    static_cast<WarningCapture*>(self)->warnings_.push_back(message);
  }
  std::vector<std::pair<const char*, guint>> handlers_;
  std::vector<std::string> warnings_;
};

// Everything GStreamer's debug log says while it lives, `category` at every level up to LOG
// (what GST_DEBUG=category:7 would print): for checking what a log never holds.
class DebugLogCapture {
 public:
  explicit DebugLogCapture(std::string category) : category_(std::move(category)) {
    gst_debug_set_threshold_for_name(category_.c_str(), GST_LEVEL_LOG);
    gst_debug_add_log_function(&DebugLogCapture::on_log, this, nullptr);
  }
  ~DebugLogCapture() {
    gst_debug_remove_log_function_by_data(this);
    gst_debug_unset_threshold_for_name(category_.c_str());
  }
  DebugLogCapture(const DebugLogCapture&) = delete;
  DebugLogCapture& operator=(const DebugLogCapture&) = delete;
  std::string text() {
    std::lock_guard<std::mutex> lock(lock_);
    return text_;
  }

 private:
  static void on_log(GstDebugCategory*, GstDebugLevel, const gchar*, const gchar*, gint, GObject*,
                     GstDebugMessage* message, gpointer data) {
    auto* self = static_cast<DebugLogCapture*>(data);
    std::lock_guard<std::mutex> lock(self->lock_);
    self->text_ += std::string(gst_debug_message_get(message)) + "\n";
  }
  std::string category_;
  std::mutex lock_;
  std::string text_;
};

}  // namespace scorecam_test
