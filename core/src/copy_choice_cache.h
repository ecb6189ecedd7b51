#pragma once
// Which copies an earlier load chose, remembered between processes, so that a load builds only
// those and times nothing: start-up then costs what loading one copy costs, and the first frames
// run at steady speed (the trial of reduced precision on the first masked inputs is skipped too).
//
// A choice holds for one model file as it is on disk (path, size, write time; the int8 copy's
// too), loaded with the same options at the same input size and layer, on the same machine (CPU
// model and instruction sets, threads, LibTorch version, device). Anything else is another entry.
// One JSON file per entry under the cache directory, written whole and renamed into place, so
// that processes loading at once never read half a file; one that cannot be read is ignored.
#include <optional>
#include <string>

#include <torch/script.h>

#include "scorecam/model.h"

namespace scorecam::detail {

struct RememberedCopy {
  std::string key;               // Variant::key of the copy kept
  double images_per_second = 0;  // its rate when it was chosen
  std::string chosen_because;    // how it was chosen then, as inference_path() said it
};

struct CopyChoice {
  RememberedCopy first_pass;
  RememberedCopy masked;
};

class CopyChoiceCache {
 public:
  // The entry for `model_path` loaded with `options` (its resolved `config` and `target_layer`)
  // on `device`; with options.choice_cache_dir empty, an entry that finds and keeps nothing.
  CopyChoiceCache(const std::string& model_path, const ModelConfig& config, const std::string& target_layer,
                  const ModelOptions& options, const torch::Device& device);

  std::optional<CopyChoice> find() const;
  // Best effort: a directory that cannot be written costs the next load its timing, nothing more.
  // Says, for inference_path(), where the choice is remembered or why it is not; empty when off.
  std::string keep(const CopyChoice& choice) const;
  // The entry's file; empty when off.
  const std::string& file() const { return file_; }

 private:
  std::string key_;  // everything the choice depends on, one line each
  std::string file_;
};

}  // namespace scorecam::detail
