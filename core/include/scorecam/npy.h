#pragma once
// Reads and writes NumPy .npy files, so that maps open directly with numpy.load and images or
// inputs come from numpy.save.
#include <string>

#include <torch/script.h>

namespace scorecam {

// Saves a tensor (any shape, any device) in C order: uint8 as '|u1', any other type as float32
// ('<f4', little-endian). Throws Error.
void save_npy(const std::string& path, const torch::Tensor& tensor);

// Loads a C-order float32 ('<f4') or uint8 ('|u1') array, as numpy.save writes them, into a CPU
// tensor of that type and shape. Throws Error naming the file for anything else.
torch::Tensor load_npy(const std::string& path);

}  // namespace scorecam
