#include "torchscript_error.h"

#include <c10/util/Exception.h>

namespace scorecam::detail {

std::string reason(const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  std::string text = error ? error->what_without_backtrace() : e.what();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const bool traceback = text.rfind("The following operation failed in the TorchScript interpreter", 0) == 0;
  return traceback ? text.substr(text.rfind('\n') + 1) : text.substr(0, text.find('\n'));
}

}  // namespace scorecam::detail
