#pragma once
// A view of a packed 8-bit image in someone else's memory, and its conversion to model input.
#include <cstddef>
#include <cstdint>
#include <string>

#include <torch/script.h>

#include "scorecam/model.h"

namespace scorecam {

enum class PixelLayout { RGB, BGR, RGBA, BGRA, RGBx, BGRx, xRGB, xBGR, ARGB, ABGR };

struct ImageView {
  uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;  // bytes per row
  PixelLayout layout = PixelLayout::RGB;
};

int bytes_per_pixel(PixelLayout layout);
// Byte offsets of red, green and blue inside one pixel.
void rgb_offsets(PixelLayout layout, int& red, int& green, int& blue);

// Resizes (bilinear, antialiased when shrinking) and normalizes on the model's device:
// [1, C, H, W] in the model's dtype, colour order and channel count. One host-to-device copy.
torch::Tensor to_model_input(const ImageView& image, const Model& model);

}  // namespace scorecam
