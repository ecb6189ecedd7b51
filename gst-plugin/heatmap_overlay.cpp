#include "heatmap_overlay.h"

#include <cstddef>

#include "scorecam/error.h"
#include "scorecam/overlay.h"

namespace scorecam_gst {
namespace {

// An ARGB rectangle of width x height pixels, drawn by `paint`, shown at (0, 0) at the render size.
template <typename Paint>
GstVideoOverlayRectangle* rectangle(int width, int height, int render_width, int render_height, Paint&& paint) {
  // GStreamer's ARGB overlay format is B, G, R, A in memory on little-endian machines.
  const auto layout = G_BYTE_ORDER == G_LITTLE_ENDIAN ? scorecam::PixelLayout::BGRA : scorecam::PixelLayout::ARGB;
  const std::size_t stride = static_cast<std::size_t>(width) * 4;
  GstBuffer* pixels = gst_buffer_new_allocate(nullptr, stride * height, nullptr);
  gst_buffer_add_video_meta(pixels, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, width,
                            height);
  GstMapInfo map;
  if (!gst_buffer_map(pixels, &map, GST_MAP_WRITE)) {
    gst_buffer_unref(pixels);
    throw scorecam::Error("cannot map the overlay's pixels");
  }
  scorecam::ImageView layer{map.data, width, height, stride, layout};
  try {
    paint(layer);
  } catch (...) {
    gst_buffer_unmap(pixels, &map);
    gst_buffer_unref(pixels);
    throw;
  }
  gst_buffer_unmap(pixels, &map);
  GstVideoOverlayRectangle* rectangle = gst_video_overlay_rectangle_new_raw(
      pixels, 0, 0, render_width, render_height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref(pixels);
  return rectangle;
}

}  // namespace

GstVideoOverlayComposition* HeatmapOverlay::get(const std::shared_ptr<const scorecam::Heatmap>& heat, int width,
                                                int height, const DrawSettings& settings) {
  if (heat != heat_ || width != width_ || height != height_ || !settings.draws_the_same(settings_)) {
    clear();
    width_ = width;
    height_ = height;
    settings_ = settings;
    build(*heat);
    heat_ = heat;  // only once built: a failed build is tried again, not taken for "nothing to draw"
  }
  return composition_.get();
}

void HeatmapOverlay::clear() {
  composition_.reset();
  heat_.reset();
}

// Into composition_ as it goes, so that a rectangle already made is released if the next throws.
void HeatmapOverlay::build(const scorecam::Heatmap& heat) {
  auto add = [this](GstVideoOverlayRectangle* rectangle) {
    if (composition_) {
      gst_video_overlay_composition_add_rectangle(composition_.get(), rectangle);
    } else {
      composition_.reset(gst_video_overlay_composition_new(rectangle));
    }
    gst_video_overlay_rectangle_unref(rectangle);
  };
  const torch::Tensor& map = heat.result.map;
  if (settings_.overlay.alpha > 0.0 && heat.result.valid) {
    add(rectangle(map.size(1), map.size(0), width_, height_,
                  [&](scorecam::ImageView& layer) { scorecam::paint_heatmap(layer, map, settings_.overlay); }));
  }
  if (settings_.show_label) {
    const scorecam::CaptionBox box = scorecam::caption_box(heat.caption, width_, height_);
    add(rectangle(box.width, box.height, box.width, box.height,
                  [&](scorecam::ImageView& layer) { scorecam::draw_caption_box(layer, heat.caption, height_); }));
  }
}

}  // namespace scorecam_gst
