#pragma once
// Models shared by everything in one process that loads the same file the same way: one copy in
// memory, and one queue for its passes, so that streams sharing it batch their passes together
// (see Model::forward). A video element per camera then costs one model, not one per camera.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "scorecam/model.h"

namespace scorecam {

class ModelPool {
 public:
  // The model at `path` loaded with `options`: the one already loaded if any holder is left,
  // else loaded now (as Model::load, whose errors it throws). The same file with other options,
  // or changed on disk since, is another model. Concurrent calls for one model load it once.
  std::shared_ptr<Model> acquire(const std::string& path, const ModelOptions& options);
  // Models held by someone.
  std::size_t loaded() const;

  // The process's pool.
  static ModelPool& process();

 private:
  mutable std::mutex lock_;
  std::condition_variable loaded_;  // a load finished, or failed
  std::map<std::string, std::weak_ptr<Model>> models_;
  std::set<std::string> loading_;
};

}  // namespace scorecam
