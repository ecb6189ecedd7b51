// scorecamoverlay: classifies each video frame with a TorchScript model and blends its Score-CAM
// heatmap into the frame. See docs/element.md.
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_SCORECAM_OVERLAY (gst_scorecam_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstScoreCamOverlay, gst_scorecam_overlay, GST, SCORECAM_OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(scorecamoverlay);

G_END_DECLS
