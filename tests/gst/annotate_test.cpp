// scorecam-annotate on videos that are not whole: a truncated MP4 is a failure (or, on request,
// kept under a name that says so), never "done"; and SIGTERM, as scancel and preemption send it,
// finishes the partial output as Ctrl-C does.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/gst_util.h"
#include "support/pipelines.h"
#include "support/test_models.h"
#include "support/wait.h"

using scorecam_test::count_frames;
using scorecam_test::encoder;
using scorecam_test::read_file;
using scorecam_test::run_command;
using scorecam_test::TempDir;
using scorecam_test::test_model;
using scorecam_test::write_video;

namespace {

const std::string kAnnotate = SCORECAM_BUILD_DIR "/apps/scorecam-annotate";

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

int lines_in(const std::string& file) {
  std::ifstream in(file);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// The first half of the bytes of a 60-frame MP4 whose header (moov first) declares all 60: it
// decodes without an error to fewer frames.
std::string half_mp4(const TempDir& dir) {
  const std::string file = dir.file("half.mp4");
  write_video(file, 60, 96, 64, "mp4mux faststart=true");
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  const int frames = count_frames(file);
  EXPECT_GT(frames, 0) << "the truncated file should still decode to some frames";
  EXPECT_LT(frames, 55);
  return file;
}

TEST(Annotate, AHalfMp4IsAFailureThatAFolderRunRetries) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out;
  half_mp4(in);
  const std::string command = "SCORECAM_BUILD_DIR=" + quoted(SCORECAM_BUILD_DIR) + " " +
                              quoted(SCORECAM_SOURCE_DIR "/pipelines/folder_to_folder.sh") + " " + quoted(in.path()) +
                              " " + quoted(out.path()) + " model-location=" + quoted(test_model("tiny_rgb.pt")) +
                              " 2>&1";
  for (int run = 1; run <= 2; ++run) {
    const auto [status, output] = run_command(command);
    EXPECT_NE(status, 0) << "run " << run << ":\n" << output;
    EXPECT_EQ(output.find("already annotated"), std::string::npos) << "run " << run << ":\n" << output;
    EXPECT_NE(output.find("half.mp4: incomplete: decoded "), std::string::npos) << output;
    EXPECT_NE(output.find(" frames its container declares ("), std::string::npos) << output;
    EXPECT_NE(output.find("failed 1 of 1"), std::string::npos) << output;
    EXPECT_TRUE(names_in(out.path()).empty()) << "run " << run << " left " << names_in(out.path()).front();
  }
}

TEST(Annotate, KeepIncompleteKeepsAShortVideoUnderANameThatSaysSo) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out;
  const std::string input = half_mp4(in);
  const auto [status, output] =
      run_command(quoted(kAnnotate) + " --quiet --keep-incomplete " + quoted(input) + " " + quoted(out.file("half.mp4")) +
                  " " + quoted(out.file("half.jsonl")) + " model-location=" + quoted(test_model("tiny_rgb.pt")) +
                  " 2>&1");
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_NE(output.find("incomplete: decoded"), std::string::npos) << output;
  EXPECT_EQ(names_in(out.path()), (std::vector<std::string>{"half.incomplete.jsonl", "half.incomplete.mp4"}));
  const int frames = count_frames(out.file("half.incomplete.mp4"));
  EXPECT_GT(frames, 0);
  EXPECT_EQ(lines_in(out.file("half.incomplete.jsonl")), frames);
}

// Killed by SIGTERM mid-video: it exits 143, with the frames so far in a partial MP4 that plays
// and as many records beside it.
TEST(Annotate, SigtermLeavesAPlayablePartial) {
  if (encoder().empty()) GTEST_SKIP() << "no H.264 encoder";
  TempDir in, out, logs;
  write_video(in.file("long.mp4"), 900, 96, 64);
  scorecam_test::ChildProcess annotate({kAnnotate, "--quiet", in.file("long.mp4"), out.file("long.mp4"),
                                        out.file("long.jsonl"), "model-location=" + test_model("tiny_rgb.pt"),
                                        "batch-size=1"},
                                       logs.file("annotate.log"));
  ASSERT_TRUE(annotate.started()) << annotate.error();
  const std::string partial_results = out.file("long.partial.jsonl");
  ASSERT_TRUE(scorecam_test::wait_until([&] { return lines_in(partial_results) >= 10 || !annotate.running(); },
                                        std::chrono::seconds(60)))
      << "no 10 records within 60 s:\n" << read_file(logs.file("annotate.log"));
  ASSERT_TRUE(annotate.running()) << "it finished before the signal; make the video longer:\n"
                                  << read_file(logs.file("annotate.log"));
  EXPECT_EQ(annotate.stop(SIGTERM), 143) << read_file(logs.file("annotate.log"));
  EXPECT_FALSE(std::filesystem::exists(out.file("long.mp4")));
  const int frames = count_frames(out.file("long.partial.mp4"));
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, 900);
  EXPECT_EQ(lines_in(partial_results), frames);
}

// A property value out of its range is refused, naming the range, where GObject would warn and
// keep the default (target-class=-2 ran as -1); so is one that is not of the property's type.
TEST(Annotate, PropertyValuesAreCheckedAgainstTheirRange) {
  TempDir out;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"target-class=-2", "target-class=-2: target-class needs a value of type gint from -1 to 2147483647"},
      {"alpha=3", "alpha=3: alpha needs a value of type gdouble from 0 to 1"},
      {"batch-size=many", "batch-size=many: batch-size needs a value of type gint from 1 to 4096"},
      {"colormap=rainbow", "colormap=rainbow: colormap needs a value of type GstScoreCamColormap: one of jet, turbo, "
                           "inferno, viridis, magma, hot"}};
  for (const auto& [property, message] : cases) {
    const auto [status, output] =
        run_command(quoted(kAnnotate) + " --quiet " + quoted(SCORECAM_SOURCE_DIR "/README.md") + " " +
                    quoted(out.file("x.mp4")) + " " + quoted(out.file("x.jsonl")) + " model-location=" +
                    quoted(test_model("tiny_rgb.pt")) + " " + property + " 2>&1");
    EXPECT_EQ(WEXITSTATUS(status), 1) << property << ": " << output;
    EXPECT_NE(output.find("scorecam-annotate: " + message), std::string::npos) << property << ": " << output;
    EXPECT_TRUE(names_in(out.path()).empty()) << property;
  }
}

}  // namespace
