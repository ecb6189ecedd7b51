#include "scorecam/publish/json_lines_writer.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "scorecam/publish/error.h"
#include "support/scratch_directory.h"

using scorecam::publish::JsonLinesWriter;
using scorecam::publish::PublishError;

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(JsonLinesWriter, EveryLineIsOnDiskAsSoonAsItIsWritten) {
  scorecam_test::ScratchDirectory directory;
  const std::string path = directory.file("results.jsonl");
  JsonLinesWriter writer(path);
  writer.write(R"({"frame":0})");
  EXPECT_EQ(contents(path), "{\"frame\":0}\n");
  writer.write(R"({"frame":1})");
  EXPECT_EQ(contents(path), "{\"frame\":0}\n{\"frame\":1}\n");
  EXPECT_EQ(writer.lines(), 2u);
}

TEST(JsonLinesWriter, AnExistingFileIsReplaced) {
  scorecam_test::ScratchDirectory directory;
  const std::string path = directory.file("results.jsonl");
  std::ofstream(path) << "old\n";
  JsonLinesWriter(path).write("{}");
  EXPECT_EQ(contents(path), "{}\n");
}

TEST(JsonLinesWriter, AFileThatCannotBeCreatedNamesThePathAndTheReason) {
  try {
    JsonLinesWriter writer("/nonexistent-directory/results.jsonl");
    FAIL() << "opened a file in a directory that does not exist";
  } catch (const PublishError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-directory/results.jsonl"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
}

TEST(JsonLinesWriter, AFailedWriteThrows) {
  JsonLinesWriter writer("/dev/full");  // every write fails with ENOSPC
  try {
    writer.write("{}");
    FAIL() << "a write to /dev/full succeeded";
  } catch (const PublishError& e) {
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  EXPECT_EQ(writer.lines(), 0u);
}

}  // namespace
