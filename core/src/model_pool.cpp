#include "scorecam/model_pool.h"

#include <filesystem>
#include <sstream>

namespace scorecam {
namespace {

// What makes two loads the same model: the file as it is on disk, and every option.
std::string key_of(const std::string& path, const ModelOptions& options) {
  namespace fs = std::filesystem;
  std::error_code error;  // a path that cannot be read is Model::load's to report
  const fs::path file = fs::weakly_canonical(path, error);
  std::ostringstream key;
  key << (error ? fs::path(path) : file).string() << '\n';
  // A file replaced on disk is a new model.
  const auto size = fs::file_size(file, error);
  if (!error) key << size;
  const auto written = fs::last_write_time(file, error);
  if (!error) key << ' ' << written.time_since_epoch().count();
  key << '\n'
      << options.config_path << '\n'
      << options.labels_path << '\n'
      << options.target_layer << '\n'
      << options.input_height << 'x' << options.input_width << '\n'
      << options.device << '\n'
      << options.precision << '\n'
      << options.optimize << '\n'
      << options.parallel_passes;
  return key.str();
}

}  // namespace

std::shared_ptr<Model> ModelPool::acquire(const std::string& path, const ModelOptions& options) {
  const std::string key = key_of(path, options);
  std::unique_lock<std::mutex> lock(lock_);
  loaded_.wait(lock, [&] { return loading_.count(key) == 0; });
  const auto found = models_.find(key);
  if (found != models_.end()) {
    if (auto model = found->second.lock()) return model;
    models_.erase(found);
  }
  loading_.insert(key);
  lock.unlock();
  std::shared_ptr<Model> model;
  try {
    model = Model::load(path, options);
  } catch (...) {
    // Not remembered: whoever asks next tries again, and hears why it fails.
    lock.lock();
    loading_.erase(key);
    loaded_.notify_all();
    throw;
  }
  lock.lock();
  loading_.erase(key);
  models_[key] = model;
  loaded_.notify_all();
  return model;
}

std::size_t ModelPool::loaded() const {
  std::lock_guard<std::mutex> lock(lock_);
  std::size_t alive = 0;
  for (const auto& [key, model] : models_) alive += model.expired() ? 0 : 1;
  return alive;
}

ModelPool& ModelPool::process() {
  static ModelPool pool;
  return pool;
}

}  // namespace scorecam
