#pragma once
// Writes NumPy .npy files, so that maps open directly with numpy.load.
#include <string>

#include <torch/script.h>

namespace scorecam {

// Saves a float32 tensor (any shape, any device) as little-endian '<f4', C order. Throws Error.
void save_npy(const std::string& path, const torch::Tensor& tensor);

}  // namespace scorecam
