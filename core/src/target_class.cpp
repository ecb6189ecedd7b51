#include "scorecam/target_class.h"

#include "scorecam/error.h"

namespace scorecam {

std::optional<std::string> target_class_problem(int requested, int classes) {
  if (requested >= kPredictedClass && requested < classes) return std::nullopt;
  return "target class " + std::to_string(requested) + " is out of range: the model has " + std::to_string(classes) +
         " classes (0.." + std::to_string(classes - 1) + "); use -1 to explain the predicted class";
}

void check_target_class(int requested, int classes) {
  if (const auto problem = target_class_problem(requested, classes)) throw Error(*problem);
}

int resolve_target_class(const torch::Tensor& logits, int requested) {
  check_target_class(requested, static_cast<int>(logits.size(-1)));
  if (requested != kPredictedClass) return requested;
  return static_cast<int>(logits[0].argmax().item<int64_t>());
}

}  // namespace scorecam
