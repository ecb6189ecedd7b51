#pragma once
// scorecam-eval's progress on stderr: "[i/n] name", overwritten in place on a terminal, every 25th
// image and the last in a log (a long run's log stays short).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

namespace scorecam::eval {

class Progress {
 public:
  explicit Progress(std::string prefix = "") : prefix_(std::move(prefix)), tty_(isatty(STDERR_FILENO)) {}
  ~Progress() {
    if (tty_ && shown_) std::fputc('\n', stderr);
  }
  // Image `index` (from 0) of `count` begins.
  void image(size_t index, size_t count, const std::string& name) {
    if (!tty_ && index % 25 != 0 && index + 1 != count) return;
    std::fprintf(stderr, tty_ ? "\r%s[%zu/%zu] %s   " : "%s[%zu/%zu] %s\n", prefix_.c_str(), index + 1, count,
                 name.c_str());
    shown_ = true;
  }

 private:
  std::string prefix_;
  bool tty_;
  bool shown_ = false;
};

}  // namespace scorecam::eval
