#pragma once
// Colormaps, blending a saliency map into a frame, and drawing the predicted label.
#include <array>
#include <string>

#include <torch/script.h>

#include "scorecam/enum_names.h"
#include "scorecam/image.h"

namespace scorecam {

enum class Colormap { Jet, Turbo, Inferno, Viridis, Magma, Hot };

Colormap parse_colormap(const std::string& name);  // "jet", "turbo", "inferno", "viridis", "magma", "hot"
std::string colormap_name(Colormap colormap);
const EnumNames<Colormap>& colormap_names();

struct OverlayOptions {
  Colormap colormap = Colormap::Jet;
  double alpha = 0.5;      // weight of the heatmap colour where it is drawn
  double threshold = 0.0;  // saliency below this leaves the pixel untouched
};

// map: [frame height, frame width] float32 in [0, 1] on the CPU (see resize_map).
void blend_heatmap(ImageView& frame, const torch::Tensor& map, const OverlayOptions& options);

// The heatmap as a layer to composite later, at any size (a compositor may scale it): the
// colormap's colour everywhere, so that scaling blends no foreign colour in, and opacity
// alpha * 255 where the map reaches the threshold, 0 elsewhere. `layer` has an alpha channel
// (RGBA, BGRA, ARGB or ABGR) and the map's size; its pixels are all overwritten.
void paint_heatmap(ImageView& layer, const torch::Tensor& map, const OverlayOptions& options);

// A readable caption (white on a dark box) in the top-left corner, sized for the frame's height.
void draw_caption(ImageView& frame, const std::string& text);

// The caption's box on a frame of this size: a layer of the box's size takes the caption alone
// (draw_caption_box), to be composited over the frame's top-left corner.
struct CaptionBox {
  int width = 0;
  int height = 0;
};
CaptionBox caption_box(const std::string& text, int frame_width, int frame_height);
void draw_caption_box(ImageView& box, const std::string& text, int frame_height);

}  // namespace scorecam
