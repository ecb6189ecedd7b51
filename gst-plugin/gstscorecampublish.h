// scorecampublish: publishes the results scorecamoverlay attached to each buffer (the
// classification and, optionally, a downsampled map) to a JSON Lines file or an MQTT broker,
// without touching the video. See docs/element.md, "Publishing results".
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_SCORECAM_PUBLISH (gst_scorecam_publish_get_type())
G_DECLARE_FINAL_TYPE(GstScoreCamPublish, gst_scorecam_publish, GST, SCORECAM_PUBLISH, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(scorecampublish);

G_END_DECLS
