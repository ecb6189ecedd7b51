#pragma once
// A reader for the .npy files the Python side writes, tensor comparison and frames of random pixels.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "scorecam/image.h"
#include "scorecam/npy.h"

namespace scorecam_test {

// The .npy files the Python side writes (float32, C order), read as the core reads them.
using scorecam::load_npy;

inline float max_abs_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat).cpu() - b.to(torch::kFloat).cpu()).abs().max().item<float>();
}

struct Frame {
  std::vector<uint8_t> pixels;
  scorecam::ImageView view;
};

inline Frame random_frame(int width, int height, uint64_t seed,
                          scorecam::PixelLayout layout = scorecam::PixelLayout::RGB) {
  Frame frame;
  const int pixel = scorecam::bytes_per_pixel(layout);
  torch::manual_seed(seed);
  const auto seeded = torch::randint(0, 256, {height * width * pixel}, torch::kUInt8);
  frame.pixels.assign(seeded.data_ptr<uint8_t>(), seeded.data_ptr<uint8_t>() + seeded.numel());
  frame.view = {frame.pixels.data(), width, height, static_cast<std::size_t>(width * pixel), layout};
  return frame;
}

}  // namespace scorecam_test
