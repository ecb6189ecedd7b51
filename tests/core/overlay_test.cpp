// Heatmap blending and captions write the right colours into every pixel layout.
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/overlay.h"
#include "scorecam/maps.h"

namespace scorecam {
namespace {

ImageView view_of(std::vector<uint8_t>& pixels, int width, int height, PixelLayout layout) {
  return {pixels.data(), width, height, static_cast<std::size_t>(width * bytes_per_pixel(layout)), layout};
}

TEST(Overlay, FullAlphaPaintsTheColormapInTheFramesOrder) {
  for (auto layout : {PixelLayout::RGB, PixelLayout::BGR, PixelLayout::RGBA, PixelLayout::xBGR}) {
    std::vector<uint8_t> pixels(4 * 2 * bytes_per_pixel(layout), 0);
    ImageView frame = view_of(pixels, 4, 2, layout);
    OverlayOptions options;
    options.alpha = 1.0;
    blend_heatmap(frame, torch::ones({2, 4}), options);
    int red, green, blue;
    rgb_offsets(layout, red, green, blue);
    // jet at 1.0 is dark red: (128, 0, 0) in RGB.
    EXPECT_EQ(pixels[red], 128);
    EXPECT_EQ(pixels[green], 0);
    EXPECT_EQ(pixels[blue], 0);
  }
}

TEST(Overlay, ThresholdAndZeroAlphaLeavePixelsAlone) {
  std::vector<uint8_t> pixels(2 * 1 * 3, 77);
  ImageView frame = view_of(pixels, 2, 1, PixelLayout::RGB);
  OverlayOptions options;
  options.alpha = 0.8;
  options.threshold = 0.5;
  blend_heatmap(frame, torch::tensor({{0.2f, 0.9f}}), options);
  EXPECT_EQ(pixels[0], 77);  // below the threshold
  EXPECT_NE(pixels[3], 77);
  options.alpha = 0.0;
  const auto before = pixels;
  blend_heatmap(frame, torch::tensor({{0.2f, 0.9f}}), options);
  EXPECT_EQ(pixels, before);
}

TEST(Overlay, ColormapsDiffer) {
  std::vector<std::vector<uint8_t>> results;
  for (const char* name : {"jet", "turbo", "inferno", "viridis", "magma", "hot"}) {
    std::vector<uint8_t> pixels(3, 0);
    ImageView frame = view_of(pixels, 1, 1, PixelLayout::RGB);
    OverlayOptions options;
    options.alpha = 1.0;
    options.colormap = parse_colormap(name);
    EXPECT_EQ(colormap_name(options.colormap), name);
    blend_heatmap(frame, torch::full({1, 1}, 0.3f), options);
    results.push_back(pixels);
  }
  for (std::size_t i = 1; i < results.size(); ++i) EXPECT_NE(results[i], results[0]);
  EXPECT_THROW(parse_colormap("rainbow"), Error);
}

TEST(Overlay, RejectsMapOfAnotherSize) {
  std::vector<uint8_t> pixels(4 * 4 * 3, 0);
  ImageView frame = view_of(pixels, 4, 4, PixelLayout::RGB);
  EXPECT_THROW(blend_heatmap(frame, torch::ones({2, 2}), {}), Error);
  EXPECT_NO_THROW(blend_heatmap(frame, resize_map(torch::ones({2, 2}), 4, 4), {}));
}

TEST(Overlay, PaintsAHeatmapLayerOpaqueWhereSalientAndClearElsewhere) {
  for (auto layout : {PixelLayout::BGRA, PixelLayout::ARGB}) {
    std::vector<uint8_t> pixels(2 * 1 * 4, 99);
    ImageView layer = view_of(pixels, 2, 1, layout);
    OverlayOptions options;
    options.alpha = 0.6;
    options.threshold = 0.5;
    paint_heatmap(layer, torch::tensor({{0.2f, 1.0f}}), options);
    int red, green, blue;
    rgb_offsets(layout, red, green, blue);
    const int alpha = layout == PixelLayout::BGRA ? 3 : 0;
    EXPECT_EQ(pixels[alpha], 0);          // below the threshold: transparent
    EXPECT_EQ(pixels[blue], 255);         // in the colormap's colour (jet at 0.2: blue), so scaling
    EXPECT_EQ(pixels[red], 0);            // the layer blends no black into its edges
    EXPECT_EQ(pixels[4 + alpha], 153);  // 0.6 * 255
    EXPECT_EQ(pixels[4 + red], 128);    // jet at 1.0
    EXPECT_EQ(pixels[4 + green], 0);
    EXPECT_EQ(pixels[4 + blue], 0);
  }
  std::vector<uint8_t> rgb(3, 0);
  ImageView no_alpha = view_of(rgb, 1, 1, PixelLayout::RGB);
  EXPECT_THROW(paint_heatmap(no_alpha, torch::ones({1, 1}), {}), Error);
}

TEST(Overlay, ACaptionBoxLayerHoldsTheCaptionAlone) {
  const std::string text = "Sneaker 97%";
  const CaptionBox box = caption_box(text, 320, 240);
  EXPECT_GT(box.width, 10);
  EXPECT_LT(box.width, 320);
  EXPECT_GT(box.height, 5);
  EXPECT_LT(box.height, 60);
  std::vector<uint8_t> layer(box.width * box.height * 4, 0);
  ImageView view = view_of(layer, box.width, box.height, PixelLayout::BGRA);
  draw_caption_box(view, text, 240);
  // Drawn on the whole frame, the caption covers the same pixels.
  std::vector<uint8_t> frame(320 * 240 * 4, 0);
  ImageView frame_view = view_of(frame, 320, 240, PixelLayout::BGRA);
  draw_caption(frame_view, text);
  for (int y = 0; y < box.height; ++y) {
    for (int x = 0; x < box.width * 4; ++x) ASSERT_EQ(layer[y * box.width * 4 + x], frame[y * 320 * 4 + x]);
  }
  for (std::size_t i = 3; i < layer.size(); i += 4) ASSERT_EQ(layer[i], 255);  // opaque throughout
}

TEST(Overlay, CaptionDrawsInTheTopLeftCorner) {
  std::vector<uint8_t> pixels(120 * 60 * 4, 128);
  ImageView frame = view_of(pixels, 120, 60, PixelLayout::BGRx);
  draw_caption(frame, "Sneaker 97%");
  EXPECT_EQ(pixels[0], 0);                   // the dark box
  EXPECT_EQ(pixels.back(), 128);             // the bottom-right corner is untouched
  int white = 0;
  for (std::size_t i = 0; i < pixels.size(); i += 4) white += pixels[i] > 200;
  EXPECT_GT(white, 10);
}

}  // namespace
}  // namespace scorecam
