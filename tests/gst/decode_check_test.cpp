// The rule that tells a video decoded whole (apps/decode_check.h) on its own: a stream error the
// decoder reports as a warning makes a video short, whatever its frame count; other warnings do not.
// (Real decoders conceal most damage without a word, so the report is posted here by the test; the
// frame count is checked on a truncated MP4 in annotate_test.cpp.)
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "decode_check.h"

namespace {

GstMessage* warning(GstElement* from, GQuark domain, gint code, const char* text) {
  GError* error = g_error_new_literal(domain, code, text);
  GstMessage* message = gst_message_new_warning(GST_OBJECT(from), error, nullptr);
  g_error_free(error);
  return message;
}

TEST(DecodeCheck, TheDecodersStreamWarningsMakeAVideoShort) {
  GstElement* decoder = gst_bin_new("decoder");
  GstElement* inner = gst_element_factory_make("identity", "inner");
  gst_bin_add(GST_BIN(decoder), inner);
  GstElement* outside = gst_element_factory_make("identity", "outside");
  gst_object_ref_sink(decoder);
  gst_object_ref_sink(outside);
  GstPad* frames = gst_element_get_static_pad(outside, "sink");
  {
    scorecam::app::DecodeCheck check(decoder, frames);
    for (GstMessage* message : {warning(outside, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "not the decoder's"),
                                warning(inner, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "not a stream error")}) {
      check.on_message(message);
      gst_message_unref(message);
    }
    EXPECT_EQ(check.shortfall(), std::nullopt);  // no duration, no frame rate: nothing declared either
    for (const char* text : {"corrupt slice", "missing reference"}) {
      GstMessage* message = warning(inner, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, text);
      check.on_message(message);
      gst_message_unref(message);
    }
    EXPECT_EQ(check.shortfall(), "the decoder reported 2 errors (first: inner: corrupt slice)");
  }
  gst_object_unref(frames);
  gst_object_unref(outside);
  gst_object_unref(decoder);
}

}  // namespace
