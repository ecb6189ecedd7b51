// A program a test runs as a child process, as from a terminal: in a process group of its own, so
// that a signal (Ctrl-C) reaches every process it starts, its output in a log file or discarded.
// Killed with its group if the test leaves it running. No GStreamer, no GLib.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "support/wait.h"

extern char** environ;

namespace scorecam_test {

class ChildProcess {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;

  // Runs `argv` (argv[0] looked up in PATH) with `environment` added to the test's; stdout and
  // stderr are appended to `log`, or discarded when it is empty.
  explicit ChildProcess(const std::vector<std::string>& argv, const std::string& log = "",
                        const Environment& environment = {}) {
    std::vector<std::string> variables;
    for (char** variable = environ; *variable; ++variable) {
      const std::string entry = *variable;
      bool replaced = false;
      for (const auto& [name, value] : environment) replaced = replaced || entry.rfind(name + "=", 0) == 0;
      if (!replaced) variables.push_back(entry);
    }
    for (const auto& [name, value] : environment) variables.push_back(name + "=" + value);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.empty() ? "/dev/null" : log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    // Its own process group; Ctrl-C and SIGTERM at their defaults and unblocked, whatever the
    // test's thread that starts it has done with them.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes, &signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    posix_spawnattr_setsigdefault(&attributes, &signals);

    const auto pointers = [](std::vector<std::string>& strings) {
      std::vector<char*> result;
      for (auto& s : strings) result.push_back(s.data());
      result.push_back(nullptr);
      return result;
    };
    std::vector<std::string> arguments = argv;
    const int result = posix_spawnp(&pid_, arguments[0].c_str(), &files, &attributes, pointers(arguments).data(),
                                    pointers(variables).data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&files);
    if (result != 0) {
      pid_ = -1;
      error_ = "cannot run " + argv[0] + ": " + std::strerror(result);
    }
  }
  ~ChildProcess() {
    if (started() && !exited_) {  // not reaped yet, so its pid still names its group
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }

  // Sends `signal` to its process group, if it still runs (SIGSTOP: frozen, SIGCONT: thawed).
  void signal(int signal) {
    if (running()) kill(-pid_, signal);
  }

  bool running() {
    if (started() && !exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return started() && !exited_;
  }

  // Sends `signal` to its process group (unless it has exited already) and waits up to `timeout`:
  // its exit status; -1 if a signal ended it, or if it had not exited by then (it is killed).
  int stop(int signal = SIGINT, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (!started()) return -1;
    if (running()) kill(-pid_, signal);
    return wait(timeout);
  }

  // Waits up to `timeout` for it to exit by itself: its exit status; -1 if a signal ended it, or if
  // it had not exited by then (it is killed).
  int wait(std::chrono::milliseconds timeout) {
    if (!started()) return -1;
    if (!wait_until([this] { return !running(); }, timeout, std::chrono::milliseconds(10))) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      exited_ = true;
      return -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string error_;
};

}  // namespace scorecam_test
