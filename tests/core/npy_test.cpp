// .npy files: what numpy.save writes for float32 and uint8 arrays is read back, anything else refused.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/npy.h"

namespace scorecam {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("scorecam_npy_" + name)).string();
}

TEST(Npy, ReadsBackFloatAndByteArrays) {
  const auto path = temp_path("float.npy");
  const auto values = torch::rand({2, 3, 5});
  save_npy(path, values);
  EXPECT_TRUE(load_npy(path).equal(values));
  const auto image = torch::randint(0, 256, {4, 6, 3}, torch::kUInt8);
  save_npy(path, image);
  const auto read = load_npy(path);
  EXPECT_EQ(read.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(read.equal(image));
  save_npy(path, torch::arange(4, torch::kInt));  // other types as float32, as before
  EXPECT_TRUE(load_npy(path).equal(torch::arange(4, torch::kFloat)));
}

TEST(Npy, RefusesWhatItCannotRead) {
  const auto path = temp_path("other.npy");
  const auto write = [&](const std::string& header) {
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(header.size()));
    out.put(0);
    out << header << std::string(16, '\0');
  };
  const auto message = [&] {
    try {
      load_npy(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  write("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n");
  EXPECT_NE(message().find("holds neither float32 nor uint8 values"), std::string::npos) << message();
  write("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n");
  EXPECT_NE(message().find("is in Fortran order"), std::string::npos) << message();
  write("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }\n");
  EXPECT_NE(message().find("is truncated"), std::string::npos) << message();
  std::ofstream(path) << "not numpy";
  EXPECT_NE(message().find("is not a .npy file"), std::string::npos) << message();
}

}  // namespace
}  // namespace scorecam
