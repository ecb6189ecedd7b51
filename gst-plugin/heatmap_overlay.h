// The heatmap and caption of one explanation as a GstVideoOverlayComposition of two ARGB
// rectangles: the heatmap at the map's own size, scaled over the whole frame by whoever draws it,
// and the caption at its box's size in the top-left corner (docs/element.md, "Caps").
#pragma once

#include <memory>

#include <gst/video/video.h>

#include "overlay_properties.h"
#include "scorecam/stream_explainer.h"

namespace scorecam_gst {

// Kept while frames share the explanation (async mode) and the settings, so that it is drawn once.
class HeatmapOverlay {
 public:
  // nullptr when there is nothing to draw; owned by this object.
  GstVideoOverlayComposition* get(const std::shared_ptr<const scorecam::Heatmap>& heat, int width, int height,
                                  const DrawSettings& settings);
  void clear();

 private:
  void build(const scorecam::Heatmap& heat);

  std::shared_ptr<const scorecam::Heatmap> heat_;
  int width_ = 0;
  int height_ = 0;
  DrawSettings settings_;
  // Owned, so that resetting the run state by assignment releases it.
  struct Unref {
    void operator()(GstVideoOverlayComposition* composition) const { gst_video_overlay_composition_unref(composition); }
  };
  std::unique_ptr<GstVideoOverlayComposition, Unref> composition_;
};

}  // namespace scorecam_gst
