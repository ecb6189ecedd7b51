#include "copy_choice_cache.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>
#include <unistd.h>

#include "file_identity.h"

namespace scorecam::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Raised when the entries' format changes: older entries are then simply not found.
constexpr const char* kFormat = "scorecam copy choice 1";

// The CPU as /proc/cpuinfo names it and the instruction sets that decide which copy is fastest
// (a VM's model name alone, "AMD EPYC", says nothing of them).
std::string machine() {
  std::ostringstream text;
  std::ifstream cpuinfo("/proc/cpuinfo");
  // The first processor's block ends at the first blank line; its fields are "name\t: value".
  for (std::string line; std::getline(cpuinfo, line) && !line.empty();) {
    const std::string field = line.substr(0, line.find_first_of("\t:"));
    for (const char* wanted : {"vendor_id", "cpu family", "model", "model name", "stepping"}) {
      if (field == wanted) text << line << '\n';
    }
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  text << "avx2 " << !!__builtin_cpu_supports("avx2") << " avx512f " << !!__builtin_cpu_supports("avx512f")
       << " avx512vnni " << !!__builtin_cpu_supports("avx512vnni") << " avx512bf16 "
       << !!__builtin_cpu_supports("avx512bf16") << " amx-bf16 " << !!__builtin_cpu_supports("amx-bf16") << '\n';
#endif
  text << "cores " << std::thread::hardware_concurrency() << ", threads " << at::get_num_threads() << '\n';
  return text.str();
}

// FNV-1a: a stable file name for a key (std::hash may differ between builds).
std::string file_name(const std::string& key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  char name[40];
  std::snprintf(name, sizeof name, "copies-%016llx.json", static_cast<unsigned long long>(hash));
  return name;
}

json to_json(const RememberedCopy& copy) {
  return {{"copy", copy.key}, {"images_per_second", copy.images_per_second}, {"chosen_because", copy.chosen_because}};
}

RememberedCopy from_json(const json& entry) {
  return {entry.at("copy").get<std::string>(), entry.at("images_per_second").get<double>(),
          entry.at("chosen_because").get<std::string>()};
}

}  // namespace

CopyChoiceCache::CopyChoiceCache(const std::string& model_path, const ModelConfig& config,
                                 const std::string& target_layer, const ModelOptions& options,
                                 const torch::Device& device) {
  if (options.choice_cache_dir.empty()) return;
  std::ostringstream key;
  key << kFormat << "\nmodel " << file_identity(model_path) << "\nint8 copy "
      << (config.int8_model.empty() ? "none" : file_identity(config.int8_model)) << "\ninput "
      << *config.input_channels << 'x' << config.input_height << 'x' << config.input_width << ", layer "
      << target_layer << "\ndevice " << device.str() << ", precision " << options.precision << ", optimize "
      << options.optimize << ", channels_last " << options.channels_last << "\nLibTorch " << TORCH_VERSION << '\n'
      << machine();
  key_ = key.str();
  file_ = (fs::path(options.choice_cache_dir) / file_name(key_)).string();
}

std::optional<CopyChoice> CopyChoiceCache::find() const {
  if (file_.empty()) return std::nullopt;
  std::ifstream in(file_);
  if (!in) return std::nullopt;
  try {
    const json entry = json::parse(in);
    if (entry.at("key").get<std::string>() != key_) return std::nullopt;  // another entry of the same name
    return CopyChoice{from_json(entry.at("first_pass")), from_json(entry.at("masked"))};
  } catch (const json::exception&) {
    return std::nullopt;  // not one of ours, or cut short: chosen again, and rewritten
  }
}

std::string CopyChoiceCache::keep(const CopyChoice& choice) const {
  if (file_.empty()) return "";
  const json entry = {{"key", key_}, {"first_pass", to_json(choice.first_pass)}, {"masked", to_json(choice.masked)}};
  static std::atomic<unsigned> written{0};
  const fs::path file(file_);
  const fs::path partial = file_ + "." + std::to_string(::getpid()) + "-" + std::to_string(written++);
  std::error_code error;
  fs::create_directories(file.parent_path(), error);
  std::string failed;
  {
    std::ofstream out(partial);
    if (!(out << entry.dump(1) << '\n' << std::flush)) failed = "cannot write " + partial.string();
  }
  if (failed.empty()) {
    fs::rename(partial, file, error);
    if (error) failed = "cannot write " + file_ + ": " + error.message();
  }
  if (failed.empty()) return " (remembered in " + file_ + " for later loads)";
  fs::remove(partial, error);
  return " (not remembered for later loads: " + failed + ")";
}

}  // namespace scorecam::detail
