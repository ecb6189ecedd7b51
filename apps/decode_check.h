#pragma once
// Whether a video file was decoded whole. A truncated MP4 whose header is intact decodes without
// an error to its first frames and then ends, as a finished one does: only the frames its container
// declares (duration x frame rate) and the decoder's own reports tell the two apart.
#include <atomic>
#include <optional>
#include <string>

#include <gst/gst.h>

namespace scorecam::app {

class DecodeCheck {
 public:
  // Counts the frames passing `frames_pad` (whose caps give the frame rate; held until the check
  // goes); the warnings of `decoder` (decodebin and what it holds; not held) are the decoder's.
  DecodeCheck(GstElement* decoder, GstPad* frames_pad);
  ~DecodeCheck();
  DecodeCheck(const DecodeCheck&) = delete;
  DecodeCheck& operator=(const DecodeCheck&) = delete;

  // Every bus message goes through here; the decoder's stream warnings are kept.
  void on_message(GstMessage* message);

  guint64 frames() const { return frames_.load(); }

  // At the end of the stream, before the pipeline stops: why the video was not decoded whole, or
  // nothing. Fewer frames than declared, beyond rounding (kSlack), or any decoder report, is short.
  std::optional<std::string> shortfall() const;

 private:
  static GstPadProbeReturn on_frame(GstPad*, GstPadProbeInfo*, gpointer self);
  // The frames the container declares; none where it says no duration or no fixed frame rate.
  std::optional<guint64> declared_frames(std::string& basis) const;

  GstElement* decoder_;
  GstPad* pad_;
  gulong probe_ = 0;
  std::atomic<guint64> frames_{0};
  int reports_ = 0;
  std::string first_report_;
};

}  // namespace scorecam::app
