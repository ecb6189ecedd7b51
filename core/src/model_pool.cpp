#include "scorecam/model_pool.h"

#include <sstream>

#include "file_identity.h"

namespace scorecam {
namespace {

// What makes two loads the same model: the file as it is on disk, and every option.
std::string key_of(const std::string& path, const ModelOptions& options) {
  std::ostringstream key;
  key << detail::file_identity(path) << '\n'
      << options.config_path << '\n'
      << options.labels_path << '\n'
      << options.target_layer << '\n'
      << options.input_height << 'x' << options.input_width << '\n'
      << options.device << '\n'
      << options.precision << '\n'
      << options.optimize << '\n'
      << options.parallel_passes << '\n'
      << options.choice_cache_dir;
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
