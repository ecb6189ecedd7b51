#include "scorecam/npy.h"

#include <fstream>

#include "scorecam/error.h"

namespace scorecam {

void save_npy(const std::string& path, const torch::Tensor& tensor) {
  const torch::Tensor data = tensor.to(torch::kCPU, torch::kFloat).contiguous();
  std::string shape = "(";
  for (int64_t d : data.sizes()) shape += std::to_string(d) + ", ";
  if (data.dim() > 1) shape.erase(shape.size() - 2);  // a 1-tuple keeps its trailing comma
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Version 1.0 format: magic, version, 2-byte header length, header padded so data starts 64-aligned.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write '" + path + "'");
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xff));
  out.put(static_cast<char>(length >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(data.data_ptr<float>()), data.numel() * sizeof(float));
  if (!out) throw Error("failed writing '" + path + "'");
}

}  // namespace scorecam
