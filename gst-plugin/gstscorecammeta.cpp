#include "gstscorecammeta-impl.h"

#include <cstring>

#include <gst/video/video.h>

namespace {

gboolean scorecam_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GstScoreCamMeta*>(meta);
  m->map_width = 0;
  m->map_height = 0;
  m->values = nullptr;
  m->source_pts = GST_CLOCK_TIME_NONE;
  m->class_id = -1;
  return TRUE;
}

void scorecam_meta_free(GstMeta* meta, GstBuffer*) {
  auto* m = reinterpret_cast<GstScoreCamMeta*>(meta);
  g_free(m->values);
  m->values = nullptr;
}

// The map is normalized to the whole frame, so it survives copies and scaling unchanged; any other
// transformation (cropping, rotating) would make it wrong, so the meta is dropped then.
gboolean scorecam_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer data) {
  auto* m = reinterpret_cast<GstScoreCamMeta*>(meta);
  bool keep = false;
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    auto* copy = static_cast<GstMetaTransformCopy*>(data);
    keep = !copy->region;
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    keep = true;
  }
  if (!keep) return FALSE;
  return gst_buffer_add_scorecam_meta(dest, m->map_width, m->map_height, m->values, m->source_pts,
                                      m->class_id, m->refresh_period) != nullptr;
}

}  // namespace

GType gst_scorecam_meta_api_get_type(void) {
  static GType type = 0;
  // Tagged like GstVideoRegionOfInterestMeta: it describes the picture, its orientation and size.
  static const gchar* tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_ORIENTATION_STR,
                                GST_META_TAG_VIDEO_SIZE_STR, nullptr};
  if (g_once_init_enter(&type)) {
    GType registered = gst_meta_api_type_register(GST_SCORECAM_META_API_NAME, tags);
    g_once_init_leave(&type, registered);
  }
  return type;
}

const GstMetaInfo* gst_scorecam_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* registered = gst_meta_register(
        gst_scorecam_meta_api_get_type(), "GstScoreCamMeta", sizeof(GstScoreCamMeta), scorecam_meta_init,
        scorecam_meta_free, scorecam_meta_transform);
    g_once_init_leave(&info, registered);
  }
  return info;
}

GstScoreCamMeta* gst_buffer_add_scorecam_meta(GstBuffer* buffer, guint map_width, guint map_height,
                                              const gfloat* values, GstClockTime source_pts,
                                              gint class_id, gint refresh_period) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  g_return_val_if_fail(values != nullptr || map_width * map_height == 0, nullptr);
  auto* meta = reinterpret_cast<GstScoreCamMeta*>(
      gst_buffer_add_meta(buffer, gst_scorecam_meta_get_info(), nullptr));
  if (!meta) return nullptr;
  const gsize count = static_cast<gsize>(map_width) * map_height;
  meta->map_width = map_width;
  meta->map_height = map_height;
  meta->values = static_cast<gfloat*>(g_memdup2(values, count * sizeof(gfloat)));
  meta->source_pts = source_pts;
  meta->class_id = class_id;
  meta->refresh_period = refresh_period;
  return meta;
}
