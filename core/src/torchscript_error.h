#pragma once
// What went wrong in TorchScript, said in one line for an Error's message.
#include <exception>
#include <string>

namespace scorecam::detail {

// For a failure inside TorchScript, the error after the traceback; else the first line.
std::string reason(const std::exception& e);

}  // namespace scorecam::detail
