#pragma once
// Writes one JSON document per line to a file, each line flushed as it is written, so that a
// reader following the file (tail -f) sees every record at once and a crash loses none.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

namespace scorecam::publish {

class JsonLinesWriter {
 public:
  // Creates or truncates `path`; throws PublishError naming the path when it cannot be opened.
  explicit JsonLinesWriter(const std::string& path);
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  // Appends `line` (one JSON document, no newline in it) and a newline, then flushes; throws
  // PublishError when the write or the flush fails (a full disk, a file system gone away).
  void write(const std::string& line);

  const std::string& path() const { return path_; }
  uint64_t lines() const { return lines_; }

 private:
  std::string path_;
  std::FILE* file_;
  std::atomic<uint64_t> lines_{0};  // read by other threads (an element's counter property)
};

}  // namespace scorecam::publish
