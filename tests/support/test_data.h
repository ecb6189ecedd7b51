#pragma once
// A reader for the .npy files the Python side writes, tensor comparison and frames of random pixels.
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "scorecam/image.h"

namespace scorecam_test {

// Reads a little-endian float32 C-order .npy (what numpy.save writes for float32 arrays).
inline torch::Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  uint16_t length = 0;
  in.read(reinterpret_cast<char*>(&length), 2);
  std::string header(length, ' ');
  in.read(header.data(), length);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error(path + " is not a float32 C-order array");
  }
  std::vector<int64_t> shape;
  const auto open = header.find('(', header.find("'shape'"));
  const auto close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  for (std::size_t start = 0; start < dims.size();) {
    const auto comma = std::min(dims.find(',', start), dims.size());
    const auto token = dims.substr(start, comma - start);
    if (token.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(token));
    start = comma + 1;
  }
  auto tensor = torch::empty(shape, torch::kFloat);
  in.read(reinterpret_cast<char*>(tensor.data_ptr<float>()), tensor.numel() * sizeof(float));
  if (!in) throw std::runtime_error(path + " is truncated");
  return tensor;
}

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
