#include "scorecam/overlay.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "scorecam/enum_names.h"
#include "scorecam/error.h"

namespace scorecam {
namespace {

const EnumNames<Colormap> kColormaps = {
    {"jet", Colormap::Jet, "Jet"},           {"turbo", Colormap::Turbo, "Turbo"}, {"inferno", Colormap::Inferno, "Inferno"},
    {"viridis", Colormap::Viridis, "Viridis"}, {"magma", Colormap::Magma, "Magma"}, {"hot", Colormap::Hot, "Hot"}};

int opencv_colormap(Colormap colormap) {
  switch (colormap) {
    case Colormap::Turbo: return cv::COLORMAP_TURBO;
    case Colormap::Inferno: return cv::COLORMAP_INFERNO;
    case Colormap::Viridis: return cv::COLORMAP_VIRIDIS;
    case Colormap::Magma: return cv::COLORMAP_MAGMA;
    case Colormap::Hot: return cv::COLORMAP_HOT;
    case Colormap::Jet: break;
  }
  return cv::COLORMAP_JET;
}

// 256 BGR colours, one per 8-bit saliency level.
cv::Mat colour_table(Colormap colormap) {
  cv::Mat ramp(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) ramp.at<uint8_t>(0, i) = static_cast<uint8_t>(i);
  cv::Mat table;
  cv::applyColorMap(ramp, table, opencv_colormap(colormap));
  return table;
}

const cv::Mat& cached_table(Colormap colormap) {
  static const std::vector<cv::Mat> tables = [] {
    std::vector<cv::Mat> all;
    for (const auto& entry : kColormaps) all.push_back(colour_table(entry.value));
    return all;
  }();
  return tables[static_cast<std::size_t>(colormap)];
}

cv::Mat wrap(ImageView& frame) {
  return cv::Mat(frame.height, frame.width, bytes_per_pixel(frame.layout) == 3 ? CV_8UC3 : CV_8UC4, frame.data,
                 frame.stride);
}

void check_map(const ImageView& frame, const torch::Tensor& map, const OverlayOptions& options) {
  if (map.dim() != 2 || map.size(0) != frame.height || map.size(1) != frame.width || !map.is_contiguous() ||
      map.scalar_type() != torch::kFloat || !map.device().is_cpu()) {
    throw Error("a heatmap needs a contiguous float32 CPU map of the frame's size (see resize_map)");
  }
  if (!(options.alpha >= 0.0 && options.alpha <= 1.0)) throw Error("alpha must be within [0, 1]");
}

// Calls paint(pixel, colour, salient) for each pixel: colour (BGR) is the colormap's for its
// saliency, salient whether that reaches the threshold.
template <typename Paint>
void for_each_pixel(ImageView& frame, const torch::Tensor& map, const OverlayOptions& options, Paint&& paint) {
  const cv::Mat& table = cached_table(options.colormap);
  const int pixel = bytes_per_pixel(frame.layout);
  const float* values = map.data_ptr<float>();
  for (int y = 0; y < frame.height; ++y) {
    uint8_t* row = frame.data + static_cast<std::size_t>(y) * frame.stride;
    const float* saliency = values + static_cast<std::size_t>(y) * frame.width;
    for (int x = 0; x < frame.width; ++x) {
      const float value = saliency[x];
      paint(row + x * pixel, table.at<cv::Vec3b>(0, std::clamp(static_cast<int>(value * 255.f + 0.5f), 0, 255)),
            value >= options.threshold);
    }
  }
}

int alpha_offset(PixelLayout layout) {
  switch (layout) {
    case PixelLayout::RGBA:
    case PixelLayout::BGRA: return 3;
    case PixelLayout::ARGB:
    case PixelLayout::ABGR: return 0;
    default: throw Error("paint_heatmap needs a layout with an alpha channel (RGBA, BGRA, ARGB or ABGR)");
  }
}

// The caption's font and box for a frame of this height.
struct CaptionLayout {
  double scale = 0;
  int thickness = 0;
  int margin = 0;
  cv::Size text;
  int baseline = 0;
  cv::Size box;  // the dark box around the text, before clipping to a frame
};

CaptionLayout caption_layout(const std::string& text, int frame_height) {
  CaptionLayout layout;
  layout.scale = std::max(0.35, frame_height / 600.0);
  layout.thickness = std::max(1, static_cast<int>(layout.scale * 1.5));
  layout.text = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, layout.scale, layout.thickness, &layout.baseline);
  layout.margin = std::max(2, layout.text.height / 3);
  layout.box = {layout.text.width + 2 * layout.margin, layout.text.height + layout.baseline + 2 * layout.margin};
  return layout;
}

}  // namespace

Colormap parse_colormap(const std::string& name) { return parse_enum(name, kColormaps, "colormap"); }

std::string colormap_name(Colormap colormap) { return enum_name(colormap, kColormaps); }
const EnumNames<Colormap>& colormap_names() { return kColormaps; }

void blend_heatmap(ImageView& frame, const torch::Tensor& map, const OverlayOptions& options) {
  check_map(frame, map, options);
  int red, green, blue;
  rgb_offsets(frame.layout, red, green, blue);
  // Fixed-point weights: 8 bits of alpha keep the blend exact enough and the loop integer-only.
  const int weight = static_cast<int>(std::lround(options.alpha * 256.0));
  for_each_pixel(frame, map, options, [&](uint8_t* p, const cv::Vec3b& colour, bool salient) {
    if (!salient) return;
    p[red] = static_cast<uint8_t>((p[red] * (256 - weight) + colour[2] * weight) >> 8);
    p[green] = static_cast<uint8_t>((p[green] * (256 - weight) + colour[1] * weight) >> 8);
    p[blue] = static_cast<uint8_t>((p[blue] * (256 - weight) + colour[0] * weight) >> 8);
  });
}

void paint_heatmap(ImageView& layer, const torch::Tensor& map, const OverlayOptions& options) {
  check_map(layer, map, options);
  const int alpha = alpha_offset(layer.layout);
  int red, green, blue;
  rgb_offsets(layer.layout, red, green, blue);
  const auto opacity = static_cast<uint8_t>(std::lround(options.alpha * 255.0));
  for_each_pixel(layer, map, options, [&](uint8_t* p, const cv::Vec3b& colour, bool salient) {
    p[red] = colour[2];
    p[green] = colour[1];
    p[blue] = colour[0];
    p[alpha] = salient ? opacity : 0;
  });
}

CaptionBox caption_box(const std::string& text, int frame_width, int frame_height) {
  const cv::Size box = caption_layout(text, frame_height).box;
  return {std::min(frame_width, box.width), std::min(frame_height, box.height)};
}

void draw_caption_box(ImageView& frame, const std::string& text, int frame_height) {
  cv::Mat image = wrap(frame);
  const CaptionLayout layout = caption_layout(text, frame_height);
  const cv::Rect box(0, 0, std::min(frame.width, layout.box.width), std::min(frame.height, layout.box.height));
  const bool opaque = bytes_per_pixel(frame.layout) == 4;  // the alpha (or padding) byte too
  cv::rectangle(image, box, opaque ? cv::Scalar(0, 0, 0, 255) : cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(image, text, cv::Point(layout.margin, layout.margin + layout.text.height), cv::FONT_HERSHEY_SIMPLEX,
              layout.scale, opaque ? cv::Scalar(255, 255, 255, 255) : cv::Scalar(255, 255, 255), layout.thickness,
              cv::LINE_AA);
}

void draw_caption(ImageView& frame, const std::string& text) { draw_caption_box(frame, text, frame.height); }

}  // namespace scorecam
