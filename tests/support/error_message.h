#pragma once
// The message of the exception a test expects, for checking that it says what to fix.
#include <string>

namespace scorecam_test {

// The what() of the `Exception` that `body` throws; "no error" when it throws none (another
// exception type fails the test as uncaught).
template <typename Exception, typename Body>
std::string message_of(Body&& body) {
  try {
    body();
  } catch (const Exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace scorecam_test
