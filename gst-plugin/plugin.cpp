// The scorecam plugin: the scorecamoverlay element, the GstScoreCamMeta it attaches, and the
// scorecampublish element that sends the results to other systems.
#include <gst/gst.h>

#include "gstscorecammeta-impl.h"
#include "gstscorecamoverlay.h"
#include "gstscorecampublish.h"

static gboolean plugin_init(GstPlugin* plugin) {
  // Registered with the plugin, so that applications find the meta API by name as soon as it loads.
  gst_scorecam_meta_get_info();
  return GST_ELEMENT_REGISTER(scorecamoverlay, plugin) && GST_ELEMENT_REGISTER(scorecampublish, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, scorecam,
                  "Score-CAM explanations of image classifiers, blended into video",
                  plugin_init, VERSION, "MIT/X11", "scorecam", "Unknown package origin")
