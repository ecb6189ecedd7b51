#pragma once
// Colormaps, blending a saliency map into a frame, and drawing the predicted label.
#include <array>
#include <string>

#include <torch/script.h>

#include "scorecam/image.h"

namespace scorecam {

enum class Colormap { Jet, Turbo, Inferno, Viridis, Magma, Hot };

Colormap parse_colormap(const std::string& name);  // "jet", "turbo", "inferno", "viridis", "magma", "hot"
std::string colormap_name(Colormap colormap);

struct OverlayOptions {
  Colormap colormap = Colormap::Jet;
  double alpha = 0.5;      // weight of the heatmap colour where it is drawn
  double threshold = 0.0;  // saliency below this leaves the pixel untouched
};

// map: [frame height, frame width] float32 in [0, 1] on the CPU (see resize_map).
void blend_heatmap(ImageView& frame, const torch::Tensor& map, const OverlayOptions& options);

// The heatmap as a layer to composite later: colour and opacity (alpha * 255) where the map
// reaches the threshold, fully transparent elsewhere. `layer` has an alpha channel (RGBA, BGRA,
// ARGB or ABGR) and the map's size; its pixels are all overwritten.
void paint_heatmap(ImageView& layer, const torch::Tensor& map, const OverlayOptions& options);

// Resizes a map to a frame's size once: in async mode one map serves many frames, and a
// program drawing a map at one size needs it once.
class ResizedMapCache {
 public:
  // The [height, width] float32 CPU map; `map` is remembered by identity, not by value.
  const torch::Tensor& resized(const torch::Tensor& map, int height, int width);

 private:
  torch::Tensor source_;
  torch::Tensor resized_;
};

// A readable caption (white on a dark box) in the top-left corner.
void draw_caption(ImageView& frame, const std::string& text);

}  // namespace scorecam
