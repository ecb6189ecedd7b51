#include "scorecam/publish/json_lines_writer.h"

#include <cerrno>
#include <cstring>

#include "scorecam/publish/error.h"

namespace scorecam::publish {

JsonLinesWriter::JsonLinesWriter(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "w")) {
  if (!file_) throw PublishError("cannot open '" + path + "' for writing: " + std::strerror(errno));
}

JsonLinesWriter::~JsonLinesWriter() { std::fclose(file_); }

void JsonLinesWriter::write(const std::string& line) {
  errno = 0;
  const bool written = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                       std::fputc('\n', file_) != EOF && std::fflush(file_) == 0;
  if (!written) {
    const int error = errno;
    std::clearerr(file_);
    throw PublishError("cannot write to '" + path_ + "': " + (error ? std::strerror(error) : "write failed"));
  }
  ++lines_;
}

}  // namespace scorecam::publish
