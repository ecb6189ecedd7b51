#include "decode_check.h"

#include <algorithm>
#include <cstdio>

namespace scorecam::app {
namespace {

// Frames a container's duration may overstate by (a last frame's duration rounded, an edit list):
// 1 % of them, at least 2. Cutting a file loses far more.
guint64 slack(guint64 declared) { return std::max<guint64>(2, declared / 100); }

}  // namespace

DecodeCheck::DecodeCheck(GstElement* decoder, GstPad* frames_pad)
    : decoder_(decoder), pad_(GST_PAD(gst_object_ref(frames_pad))) {
  probe_ = gst_pad_add_probe(pad_, GST_PAD_PROBE_TYPE_BUFFER, &DecodeCheck::on_frame, this, nullptr);
}

DecodeCheck::~DecodeCheck() {
  gst_pad_remove_probe(pad_, probe_);
  gst_object_unref(pad_);
}

GstPadProbeReturn DecodeCheck::on_frame(GstPad*, GstPadProbeInfo*, gpointer self) {
  ++static_cast<DecodeCheck*>(self)->frames_;
  return GST_PAD_PROBE_OK;
}

void DecodeCheck::on_message(GstMessage* message) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_WARNING) return;
  GstObject* origin = GST_MESSAGE_SRC(message);
  if (origin != GST_OBJECT(decoder_) && !gst_object_has_as_ancestor(origin, GST_OBJECT(decoder_))) return;
  GError* error = nullptr;
  gst_message_parse_warning(message, &error, nullptr);
  if (error->domain == GST_STREAM_ERROR && reports_++ == 0)
    first_report_ = std::string(GST_OBJECT_NAME(origin)) + ": " + error->message;
  g_clear_error(&error);
}

std::optional<guint64> DecodeCheck::declared_frames(std::string& basis) const {
  gint64 duration = 0;
  // Upstream from the frames, so that it is the video's demuxer that answers.
  if (!gst_pad_peer_query_duration(pad_, GST_FORMAT_TIME, &duration) || duration <= 0) return std::nullopt;
  GstCaps* caps = gst_pad_get_current_caps(pad_);
  if (!caps) return std::nullopt;
  gint numerator = 0, denominator = 0;
  const bool fixed_rate = gst_structure_get_fraction(gst_caps_get_structure(caps, 0), "framerate", &numerator,
                                                     &denominator) && numerator > 0 && denominator > 0;
  gst_caps_unref(caps);
  if (!fixed_rate) return std::nullopt;
  char text[96];
  std::snprintf(text, sizeof text, "%.2f s at %.4g frames/s", static_cast<double>(duration) / GST_SECOND,
                static_cast<double>(numerator) / denominator);
  basis = text;
  return gst_util_uint64_scale_round(static_cast<guint64>(duration), numerator,
                                     static_cast<guint64>(denominator) * GST_SECOND);
}

std::optional<std::string> DecodeCheck::shortfall() const {
  if (reports_ > 0)
    return "the decoder reported " + std::to_string(reports_) + " error" + (reports_ == 1 ? "" : "s") + " (first: " +
           first_report_ + ")";
  std::string basis;
  const auto declared = declared_frames(basis);
  const guint64 decoded = frames();
  if (declared && decoded + slack(*declared) < *declared)
    return "decoded " + std::to_string(decoded) + " of the " + std::to_string(*declared) +
           " frames its container declares (" + basis + "): the file is truncated or damaged";
  return std::nullopt;
}

}  // namespace scorecam::app
