#include "scorecam/npy.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "scorecam/error.h"

namespace scorecam {
namespace {

// The header's shape, "(2, 3)" or "(4,)", after "'shape':".
std::vector<int64_t> header_shape(const std::string& header, const std::string& path) {
  const auto key = header.find("'shape'");
  const auto open = header.find('(', key), close = header.find(')', open);
  if (key == std::string::npos || open == std::string::npos || close == std::string::npos) {
    throw Error("'" + path + "' is not a .npy file (no shape in its header)");
  }
  std::vector<int64_t> shape;
  const std::string dims = header.substr(open + 1, close - open - 1);
  for (std::size_t start = 0; start < dims.size();) {
    const auto comma = std::min(dims.find(',', start), dims.size());
    const auto token = dims.substr(start, comma - start);
    if (token.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(token));
    start = comma + 1;
  }
  return shape;
}

}  // namespace

void save_npy(const std::string& path, const torch::Tensor& tensor) {
  const bool bytes = tensor.scalar_type() == torch::kUInt8;
  const torch::Tensor data = tensor.to(torch::kCPU, bytes ? torch::kUInt8 : torch::kFloat).contiguous();
  std::string shape = "(";
  for (int64_t d : data.sizes()) shape += std::to_string(d) + ", ";
  if (data.dim() > 1) shape.erase(shape.size() - 2);  // a 1-tuple keeps its trailing comma
  shape += ")";
  std::string header = std::string("{'descr': '") + (bytes ? "|u1" : "<f4") + "', 'fortran_order': False, 'shape': " +
                       shape + ", }";
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
  out.write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(data.nbytes()));
  if (!out) throw Error("failed writing '" + path + "'");
}

torch::Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  char magic[8] = {};
  in.read(magic, 8);
  if (!in || std::string(magic, 6) != "\x93NUMPY") throw Error("'" + path + "' is not a .npy file");
  // Version 1.0 has a 2-byte header length, 2.0 and 3.0 a 4-byte one; both little-endian.
  unsigned char size[4] = {};
  in.read(reinterpret_cast<char*>(size), magic[6] == 1 ? 2 : 4);
  const std::size_t length = size[0] | size[1] << 8 | size[2] << 16 | static_cast<std::size_t>(size[3]) << 24;
  std::string header(length, ' ');
  in.read(header.data(), static_cast<std::streamsize>(length));
  if (header.find("'fortran_order': False") == std::string::npos) {
    throw Error("'" + path + "' is in Fortran order: save it from a C-ordered array");
  }
  const bool bytes = header.find("'|u1'") != std::string::npos;
  if (!bytes && header.find("'<f4'") == std::string::npos) {
    throw Error("'" + path + "' holds neither float32 nor uint8 values (numpy dtype float32 or uint8)");
  }
  auto tensor = torch::empty(header_shape(header, path), bytes ? torch::kUInt8 : torch::kFloat);
  in.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(tensor.nbytes()));
  if (!in) throw Error("'" + path + "' is truncated");
  return tensor;
}

}  // namespace scorecam
