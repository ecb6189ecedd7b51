// What the plugin itself needs to register and attach GstScoreCamMeta; applications use
// gstscorecammeta.h alone.
#pragma once

#include "gstscorecammeta.h"

G_BEGIN_DECLS

GType gst_scorecam_meta_api_get_type(void);
const GstMetaInfo* gst_scorecam_meta_get_info(void);

// Copies `values` (map_width * map_height floats).
GstScoreCamMeta* gst_buffer_add_scorecam_meta(GstBuffer* buffer, guint map_width, guint map_height,
                                              const gfloat* values, GstClockTime source_pts,
                                              gint class_id, gint refresh_period);

G_END_DECLS
