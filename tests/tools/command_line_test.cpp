// The programs' command-line parser (apps/command_line.h), on its own.
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "command_line.h"
#include "support/error_message.h"

namespace {

using scorecam::cli::CommandLine;
using scorecam::cli::Program;
using scorecam::cli::Property;
using scorecam::cli::Range;
using scorecam::cli::Syntax;
using scorecam::cli::UsageError;

// argv as main gets it: the program's name first.
class Argv {
 public:
  Argv(std::initializer_list<std::string> words) : words_{"program"} {
    words_.insert(words_.end(), words);
    for (auto& word : words_) pointers_.push_back(word.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

const Syntax kCore{{"out", "frames", "alpha", "seed"}, {"json"}};

Syntax pipeline(std::size_t fixed, std::size_t most) {
  Syntax syntax{{"encoder"}, {"quiet"}};
  syntax.properties = true;
  syntax.fixed_positionals = fixed;
  syntax.max_positionals = most;
  return syntax;
}

CommandLine parse(std::initializer_list<std::string> words, const Syntax& syntax = kCore) {
  const Argv args(words);
  return CommandLine(args.argc(), args.argv(), syntax);
}

// The message of the UsageError `parse` throws, or "no error" when it throws none.
std::string usage_error(const std::function<void()>& parse) { return scorecam_test::message_of<UsageError>(parse); }

TEST(CommandLine, OptionsFlagsAndPositionalsInAnyOrder) {
  const auto args = parse({"a.png", "--out", "dir", "b.png", "--json"});
  EXPECT_TRUE(args.has("out"));
  EXPECT_EQ(args.text("out"), "dir");
  EXPECT_TRUE(args.has("json"));
  EXPECT_FALSE(args.has("frames"));
  EXPECT_EQ(args.text("frames", "3"), "3");
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_TRUE(args.properties().empty());
}

TEST(CommandLine, AValueMayStartWithADashAndTheLastOneCounts) {
  const auto args = parse({"--seed", "-2", "--out", "first", "--out", "second"});
  EXPECT_EQ(args.integer("seed", 0), -2);
  EXPECT_EQ(args.text("out"), "second");
}

// A repeatable option keeps every value, in order (scorecam-camera's --camera); one option given
// once is a list of one, and an absent one an empty list.
TEST(CommandLine, ARepeatableOptionKeepsEveryValue) {
  Syntax syntax{{"out"}, {}};
  syntax.repeatable = {"camera"};
  const auto args = parse({"--camera", "a=rtsp://x/1", "--out", "dir", "--camera", "b=rtsp://x/2"}, syntax);
  EXPECT_EQ(args.all("camera"), (std::vector<std::string>{"a=rtsp://x/1", "b=rtsp://x/2"}));
  EXPECT_TRUE(args.has("camera"));
  EXPECT_EQ(args.all("out"), std::vector<std::string>{});  // not repeatable: text() has its value
  EXPECT_EQ(parse({"--camera", "c=rtsp://x/3"}, syntax).all("camera"), std::vector<std::string>{"c=rtsp://x/3"});
  EXPECT_TRUE(parse({}, syntax).all("camera").empty());
  EXPECT_EQ(usage_error([&] { parse({"--camera"}, syntax); }), "option --camera needs a value");
}

TEST(CommandLine, EveryProgramTakesHelp) { EXPECT_TRUE(parse({"--help"}).has("help")); }

TEST(CommandLine, UnknownOptionsAreNamed) {
  EXPECT_EQ(usage_error([] { parse({"--frobnicate"}); }), "unknown option --frobnicate");
  // Single dashes too, also after the positionals (once taken for a file name).
  EXPECT_EQ(usage_error([] { parse({"a.png", "-x"}); }), "unknown option -x");
  EXPECT_EQ(usage_error([] { parse({"-h"}); }), "unknown option -h");
  EXPECT_EQ(usage_error([] { parse({"--out=dir"}); }), "unknown option --out=dir");
  // A flag is not an option with a value, nor the other way round.
  EXPECT_EQ(usage_error([] { parse({"--json", "yes", "--quiet"}); }), "unknown option --quiet");
}

TEST(CommandLine, AMissingValueIsNamed) {
  EXPECT_EQ(usage_error([] { parse({"a.png", "--out"}); }), "option --out needs a value");
}

TEST(CommandLine, IntegersWithinTheirRange) {
  EXPECT_EQ(parse({"--frames", "7"}).integer("frames", 3, Range::at_least(1)), 7);
  EXPECT_EQ(parse({}).integer("frames", 3, Range::at_least(1)), 3);
  EXPECT_EQ(parse({"--frames", "+7"}).integer("frames", 3), 7);
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {"0", "--frames needs an integer of at least 1, not '0'"},
      {"many", "--frames needs an integer of at least 1, not 'many'"},
      {"7x", "--frames needs an integer of at least 1, not '7x'"},
      {"2.5", "--frames needs an integer of at least 1, not '2.5'"},
      {"", "--frames needs an integer of at least 1, not ''"},
      {" 7", "--frames needs an integer of at least 1, not ' 7'"},
      {"99999999999", "--frames needs an integer of at least 1, not '99999999999'"},  // more than an int holds
  };
  for (const auto& mistake : mistakes) {
    const std::string& value = mistake.first;
    EXPECT_EQ(usage_error([&] { parse({"--frames", value}).integer("frames", 3, Range::at_least(1)); }), mistake.second)
        << value;
  }
  // The type decides what fits.
  EXPECT_EQ(parse({"--frames", "99999999999"}).integer("frames", 3L), 99999999999L);
}

TEST(CommandLine, NumbersWithinTheirRange) {
  EXPECT_DOUBLE_EQ(parse({"--alpha", "0.25"}).number("alpha", 0.5, Range::from_to(0, 1)), 0.25);
  EXPECT_DOUBLE_EQ(parse({"--alpha", "1"}).number("alpha", 0.5, Range::from_to(0, 1)), 1.0);
  EXPECT_DOUBLE_EQ(parse({"--alpha", "1e-3"}).number("alpha", 0.5, Range::above(0)), 0.001);
  EXPECT_DOUBLE_EQ(parse({}).number("alpha", 0.5, Range::above(0)), 0.5);
  const std::vector<std::tuple<std::string, Range, std::string>> mistakes = {
      {"-3", Range::above(0), "--alpha needs a number above 0, not '-3'"},
      {"0", Range::above(0), "--alpha needs a number above 0, not '0'"},
      {"-0.5", Range::at_least(0), "--alpha needs a number of at least 0, not '-0.5'"},
      {"1.5", Range::from_to(0, 1), "--alpha needs a number from 0 to 1, not '1.5'"},
      {"0.5s", Range(), "--alpha needs a number, not '0.5s'"},
      {"nan", Range(), "--alpha needs a number, not 'nan'"},
      {"inf", Range(), "--alpha needs a number, not 'inf'"},
  };
  for (const auto& mistake : mistakes) {
    const std::string& value = std::get<0>(mistake);
    const Range& range = std::get<1>(mistake);
    EXPECT_EQ(usage_error([&] { parse({"--alpha", value}).number("alpha", 0.5, range); }), std::get<2>(mistake));
  }
}

TEST(CommandLine, PartsOfAValue) {
  EXPECT_EQ(scorecam::cli::to_integer("640"), 640);
  EXPECT_EQ(scorecam::cli::to_integer("-2"), -2);
  EXPECT_EQ(scorecam::cli::to_integer("640x"), std::nullopt);
  EXPECT_EQ(scorecam::cli::to_integer(""), std::nullopt);
  EXPECT_EQ(scorecam::cli::to_integer("99999999999999999999"), std::nullopt);
  EXPECT_EQ(scorecam::cli::to_number("0.5"), 0.5);
  EXPECT_EQ(scorecam::cli::to_number("0.5,"), std::nullopt);
  EXPECT_EQ(scorecam::cli::to_number("1e999"), std::nullopt);
}

TEST(CommandLine, TooManyPositionals) {
  Syntax one = kCore;
  one.max_positionals = 1;
  EXPECT_EQ(usage_error([&] { parse({"a", "b"}, one); }), "unexpected argument 'b'");
}

// scorecam-camera: up to two positionals, and words with '=' are properties wherever they stand.
TEST(CommandLine, PropertiesAmongPositionals) {
  const auto args = parse({"model-location=m.pt", "rtsp://host/x", "--quiet", "out", "async=true", "label=a=b"},
                          pipeline(0, 2));
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"rtsp://host/x", "out"}));
  ASSERT_EQ(args.properties().size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"model-location", "m.pt"}, {"async", "true"}, {"label", "a=b"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(args.properties()[i].name, expected[i].first);
    EXPECT_EQ(args.properties()[i].value, expected[i].second);
  }
  EXPECT_TRUE(args.has("quiet"));
  // Past the positionals every word is a property.
  EXPECT_EQ(usage_error([] { parse({"rtsp://host/x", "out", "alpha"}, pipeline(0, 2)); }),
            "'alpha' is not PROPERTY=VALUE");
  EXPECT_EQ(usage_error([] { parse({"rtsp://host/x", "=true"}, pipeline(0, 2)); }), "'=true' is not PROPERTY=VALUE");
}

// scorecam-annotate: the first three words are its files whatever they hold.
TEST(CommandLine, FixedPositionalsMayHoldAnEqualsSign) {
  const auto args = parse({"take=2.mp4", "out.mp4", "out.jsonl", "colormap=turbo"}, pipeline(3, 3));
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"take=2.mp4", "out.mp4", "out.jsonl"}));
  ASSERT_EQ(args.properties().size(), 1u);
  EXPECT_EQ(args.properties()[0].name, "colormap");
  EXPECT_EQ(args.properties()[0].value, "turbo");
}

// scorecam-soak: no positionals at all.
TEST(CommandLine, OnlyProperties) {
  const auto args = parse({"async=true", "--encoder", "x", "max-channels=16"}, pipeline(0, 0));
  EXPECT_TRUE(args.positional().empty());
  EXPECT_EQ(args.properties().size(), 2u);
  EXPECT_EQ(usage_error([] { parse({"input.mp4"}, pipeline(0, 0)); }), "'input.mp4' is not PROPERTY=VALUE");
}

// run: --help and mistakes, with the usage and the exit status a shell sees.
class CommandLineRun : public ::testing::Test {
 protected:
  int run(std::initializer_list<std::string> words, bool throw_in_body = false) {
    const Argv args(words);
    std::streambuf* const out = std::cout.rdbuf(out_.rdbuf());
    std::streambuf* const err = std::cerr.rdbuf(err_.rdbuf());
    const int status = scorecam::cli::run(program_, args.argc(), args.argv(), [&](const CommandLine& line) {
      if (throw_in_body) line.integer("frames", 3, Range::at_least(1));
      return 7;
    });
    std::cout.rdbuf(out);
    std::cerr.rdbuf(err);
    return status;
  }

  const Program program_{"program", "usage: program [--frames N]\n", kCore};
  std::ostringstream out_, err_;
};

TEST_F(CommandLineRun, TheBodysStatus) {
  EXPECT_EQ(run({"--frames", "2"}), 7);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CommandLineRun, HelpPrintsTheUsageOnStdout) {
  EXPECT_EQ(run({"--frames", "2", "--help"}), 0);
  EXPECT_EQ(out_.str(), "usage: program [--frames N]\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CommandLineRun, AMistakePrintsItAndTheUsageOnStderr) {
  EXPECT_EQ(run({"--frobnicate"}), 2);
  EXPECT_EQ(err_.str(), "program: unknown option --frobnicate\nusage: program [--frames N]\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandLineRun, AMistakeFoundByTheBodyToo) {
  EXPECT_EQ(run({"--frames", "0"}, true), 2);
  EXPECT_EQ(err_.str(), "program: --frames needs an integer of at least 1, not '0'\nusage: program [--frames N]\n");
}

}  // namespace
