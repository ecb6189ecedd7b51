#include "scorecam/image.h"

#include "scorecam/error.h"

namespace scorecam {

int bytes_per_pixel(PixelLayout layout) {
  switch (layout) {
    case PixelLayout::RGB:
    case PixelLayout::BGR: return 3;
    default: return 4;
  }
}

void rgb_offsets(PixelLayout layout, int& red, int& green, int& blue) {
  switch (layout) {
    case PixelLayout::RGB: case PixelLayout::RGBA: case PixelLayout::RGBx: red = 0, green = 1, blue = 2; return;
    case PixelLayout::BGR: case PixelLayout::BGRA: case PixelLayout::BGRx: red = 2, green = 1, blue = 0; return;
    case PixelLayout::xRGB: case PixelLayout::ARGB: red = 1, green = 2, blue = 3; return;
    case PixelLayout::xBGR: case PixelLayout::ABGR: red = 3, green = 2, blue = 1; return;
  }
}

torch::Tensor to_model_input(const ImageView& image, const Model& model) {
  if (!image.data || image.width < 1 || image.height < 1) throw Error("empty image");
  c10::InferenceMode guard;
  const int64_t pixel = bytes_per_pixel(image.layout);
  const auto bytes = torch::from_blob(image.data, {image.height, image.width, pixel},
                                      {static_cast<int64_t>(image.stride), pixel, 1}, torch::kUInt8);
  int red, green, blue;
  rgb_offsets(image.layout, red, green, blue);
  const ModelConfig& config = model.config();
  const bool bgr = config.color_order == ColorOrder::BGR;
  const auto order = torch::tensor({bgr ? blue : red, green, bgr ? red : blue}, torch::kLong);
  // The one host-to-device copy, of the 8-bit pixels; everything after runs on the model's device.
  auto planes = bytes.to(model.device()).index_select(2, order.to(model.device()))
                    .permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat).div_(255.0);
  if (model.input_channels() == 1) {
    // ITU-R BT.601 luma, the usual grayscale conversion.
    const auto luma = torch::tensor({0.299f, 0.587f, 0.114f}, planes.options()).view({1, 3, 1, 1});
    planes = (bgr ? planes.flip(1) : planes).mul(luma).sum(1, /*keepdim=*/true);
  }
  const int64_t height = config.input_height, width = config.input_width;
  if (planes.size(2) != height || planes.size(3) != width) {
    const bool shrinking = planes.size(2) > height || planes.size(3) > width;
    planes = shrinking ? at::_upsample_bilinear2d_aa(planes, {height, width}, false)
                       : at::upsample_bilinear2d(planes, {height, width}, false);
  }
  const auto shape = std::vector<int64_t>{1, static_cast<int64_t>(config.mean.size()), 1, 1};
  const auto mean = torch::tensor(config.mean, planes.options()).view(shape);
  const auto std = torch::tensor(config.std, planes.options()).view(shape);
  return planes.sub_(mean).div_(std).to(model.dtype()).contiguous();
}

}  // namespace scorecam
