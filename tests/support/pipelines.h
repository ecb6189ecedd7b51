// Helpers of the pipeline tests: encoded test videos, counting decoded frames, and an RTSP server
// on 127.0.0.1 run by the test itself (stoppable, and restartable on the same port).
#pragma once

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "rtsp_server.h"
#include "support/gst_util.h"

namespace scorecam_test {

inline bool has_element(const char* name) {
  GstElementFactory* factory = gst_element_factory_find(name);
  if (factory) gst_object_unref(factory);
  return factory != nullptr;
}

// What the tests encode with: H.264 where this GStreamer has it.
inline std::string encoder() {
  if (has_element("x264enc")) return "x264enc speed-preset=ultrafast";
  if (has_element("openh264enc")) return "openh264enc";
  return "";
}

// Counts the buffers (and those with both scorecam metas) passing a pad.
struct BufferCounter {
  std::atomic<int> buffers{0};
  std::atomic<int> annotated{0};

  void attach(GstElement* pipeline, const char* element_name) {
    GstElement* element = gst_bin_get_by_name(GST_BIN(pipeline), element_name);
    GstPad* pad = gst_element_get_static_pad(element, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &BufferCounter::on_buffer, this, nullptr);
    gst_object_unref(pad);
    gst_object_unref(element);
  }

  static GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<BufferCounter*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    ++self->buffers;
    if (gst_buffer_get_scorecam_meta(buffer) && gst_buffer_get_video_region_of_interest_meta(buffer)) ++self->annotated;
    return GST_PAD_PROBE_OK;
  }
};

// The frames a video file decodes to (a file that does not decode fails the test).
inline int count_frames(const std::string& file) {
  GstElement* pipeline = parse("filesrc name=src ! decodebin ! fakesink name=sink");
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "location", file.c_str(), nullptr);
  gst_object_unref(src);
  BufferCounter counter;
  counter.attach(pipeline, "sink");
  const auto result = run_to_eos(pipeline);
  EXPECT_TRUE(result.ok) << file << ": " << result.error;
  gst_object_unref(pipeline);
  return counter.buffers;
}

inline void write_video(const std::string& file, int frames, int width, int height,
                        const std::string& muxer = "mp4mux") {
  GstElement* pipeline = parse("videotestsrc num-buffers=" + std::to_string(frames) +
                               " pattern=ball ! video/x-raw,width=" + std::to_string(width) +
                               ",height=" + std::to_string(height) + ",framerate=30/1 ! videoconvert ! " +
                               encoder() + " ! " + muxer + " ! filesink location=\"" + file + "\"");
  const auto result = run_to_eos(pipeline);
  ASSERT_TRUE(result.ok) << result.error;
  gst_object_unref(pipeline);
}

// Runs a shell command line: its exit status (as pclose gives it) and what it printed on stdout.
inline std::pair<int, std::string> run_command(const std::string& line) {
  std::string output;
  FILE* pipe = popen(line.c_str(), "r");
  char chunk[512];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  return {pclose(pipe), output};
}

// Whether a program is on the PATH.
inline bool installed(const std::string& program) { return run_command("command -v " + program).first == 0; }

// The RTSP server of a camera the test controls, on 127.0.0.1 at /test: a free port, or `port` to
// come back where an earlier one was (after a reset(), as a camera that reboots); `access`: a
// camera that wants a user and password.
class LocalRtspServer : public scorecam::app::RtspServer {
 public:
  explicit LocalRtspServer(const std::string& launch, int port = 0, const scorecam::app::RtspAccess& access = {})
      : RtspServer("127.0.0.1", port, "/test", launch, access) {}
};

// A live camera-like stream for LocalRtspServer: H.264 where there is an encoder, else JPEG.
inline std::string camera_stream() {
  const std::string payload = encoder().empty()
                                  ? "jpegenc ! rtpjpegpay name=pay0"
                                  : encoder() + " tune=zerolatency key-int-max=15 ! rtph264pay name=pay0 pt=96";
  return "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 ! "
         "videoconvert ! " + payload + " )";
}

}  // namespace scorecam_test
