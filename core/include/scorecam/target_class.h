#pragma once
// The one rule for the class an explanation is for: a class the model has, or -1 for the class it
// predicts. Every path (a method's first pass, the stream's settings, the element, the programs)
// goes through these, so the range and its message are stated once.
#include <optional>
#include <string>

#include <torch/script.h>

namespace scorecam {

constexpr int kPredictedClass = -1;

// What is wrong with asking a model of `classes` classes for `requested`, or nothing.
std::optional<std::string> target_class_problem(int requested, int classes);
// Throws Error with target_class_problem()'s message.
void check_target_class(int requested, int classes);
// `requested`, or the class of the largest logit when it is kPredictedClass; logits [1, classes].
// Throws Error when `requested` is out of range.
int resolve_target_class(const torch::Tensor& logits, int requested);

}  // namespace scorecam
