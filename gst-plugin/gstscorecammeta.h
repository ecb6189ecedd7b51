/* GstScoreCamMeta: the Score-CAM saliency map that scorecamoverlay attaches to each buffer it has
 * explained.
 *
 * Applications need only this header: the meta type is registered by the scorecam plugin under the
 * name GST_SCORECAM_META_API_NAME, and gst_buffer_get_scorecam_meta() looks it up by that name, so
 * nothing has to be linked. It returns NULL until the plugin is loaded, when no buffer can carry
 * the meta anyway.
 *
 * The classification itself travels in a standard GstVideoRegionOfInterestMeta of roi type
 * "scorecam" that covers the whole frame, with a "classification" parameter
 * (valid: boolean, label: string, class-id: int, confidence: double; docs/element.md, "Metadata").
 */
#ifndef GST_SCORECAM_META_H
#define GST_SCORECAM_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_SCORECAM_META_API_NAME "GstScoreCamMetaAPI"

typedef struct _GstScoreCamMeta {
  GstMeta meta;

  /* Size of the map: the model's input size, not the frame's. The map covers the whole frame. */
  guint map_width;
  guint map_height;
  /* map_width * map_height saliency values in [0, 1], row by row; owned by the meta. */
  gfloat *values;
  /* Timestamp of the frame the map was computed from. In async mode this is an earlier frame. */
  GstClockTime source_pts;
  /* The class the map explains: the predicted class, or the element's target-class. */
  gint class_id;
  /* Frames in which every channel's score is refreshed once: 1 without reuse, refresh-interval
   * with it, what fits under frame-budget-ms with a budget. */
  gint refresh_period;
} GstScoreCamMeta;

static inline GstScoreCamMeta *
gst_buffer_get_scorecam_meta (GstBuffer * buffer)
{
  GType api = g_type_from_name (GST_SCORECAM_META_API_NAME);
  return api ? (GstScoreCamMeta *) gst_buffer_get_meta (buffer, api) : NULL;
}

G_END_DECLS

#endif /* GST_SCORECAM_META_H */
