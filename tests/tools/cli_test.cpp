// The command-line tools, run as a user runs them.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/test_data.h"
#include "support/test_models.h"

namespace {

using scorecam_test::load_npy;
using scorecam_test::test_model;

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run run(const std::string& command) {
  Run result{0, {}};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe)) result.output += buffer.data();
  result.exit_code = WEXITSTATUS(pclose(pipe));
  return result;
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("scorecam_cli_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Random pixels: a model's classes are all about equally likely on them.
void write_noise_image(const std::filesystem::path& path, int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, 0, 255);
  cv::imwrite(path.string(), image);
}

// A fresh folder `name` with 60x48 noise images under images/ and boxes.json giving each of them
// `boxes`, as scorecam-eval reads them.
std::filesystem::path eval_images(const std::string& name, std::initializer_list<const char*> images,
                                  const nlohmann::json& boxes) {
  const auto dir = fresh_dir(name);
  std::filesystem::create_directories(dir / "images");
  nlohmann::json boxes_file;
  for (const char* image : images) {
    write_noise_image(dir / "images" / image, 60, 48);
    boxes_file[image] = boxes;
  }
  std::ofstream(dir / "boxes.json") << boxes_file.dump();
  return dir;
}

std::string write_image(const std::filesystem::path& dir, int width, int height) {
  write_noise_image(dir / "scene.png", width, height);
  return (dir / "scene.png").string();
}

TEST(Cli, WritesOverlayAndMapAtTheImageSize) {
  const auto dir = fresh_dir("ok");
  const auto image = write_image(dir, 70, 50);
  const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("tiny_rgb.pt") + " --json --out " +
                     (dir / "out").string() + " " + image);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto summary = nlohmann::json::parse(r.output);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["top"].size(), 5u);
  EXPECT_EQ(summary[0]["top"][0]["class_id"], summary[0]["target_class"]);
  const auto map = load_npy(summary[0]["map"].get<std::string>());
  EXPECT_EQ(map.sizes(), (std::vector<int64_t>{50, 70}));
  EXPECT_GE(map.min().item<float>(), 0.f);
  EXPECT_LE(map.max().item<float>(), 1.f);
  const cv::Mat overlay = cv::imread(summary[0]["overlay"].get<std::string>());
  EXPECT_EQ(overlay.cols, 70);
  EXPECT_EQ(overlay.rows, 50);
}

TEST(Cli, PrintsTopFiveAsText) {
  const auto dir = fresh_dir("text");
  const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("tiny_rgb.pt") + " --class 2 --out " +
                     dir.string() + " " + write_image(dir, 40, 32));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  5. "), std::string::npos) << r.output;
}

// The copies the first run chose are remembered under $SCORECAM_CACHE_DIR and read by the next run
// (the choice itself: tests/core/copy_choice_cache_test.cpp); set but empty, nothing is written.
TEST(Cli, RemembersItsChoiceOfCopiesInTheCacheDirectory) {
  const auto dir = fresh_dir("choice_cache");
  const std::string image = write_image(dir, 40, 32);
  const auto scorecam = [&](const std::string& cache) {
    return run("SCORECAM_CACHE_DIR='" + cache + "' " SCORECAM_CLI " --model " + test_model("tiny_rgb.pt") +
               " --out " + (dir / "out").string() + " " + image);
  };
  const auto entries = [&] {
    std::vector<std::filesystem::path> found;
    if (std::filesystem::is_directory(dir / "cache"))
      for (const auto& entry : std::filesystem::directory_iterator(dir / "cache")) found.push_back(entry.path());
    return found;
  };
  const auto first = scorecam((dir / "cache").string());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(entries().size(), 1u);
  const auto written = std::filesystem::last_write_time(entries()[0]);
  const auto second = scorecam((dir / "cache").string());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(std::filesystem::last_write_time(entries()[0]), written);  // read, not chosen and written again
  std::filesystem::remove_all(dir / "cache");
  const auto off = scorecam("");
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_TRUE(entries().empty());
}

TEST(Cli, UnreadableImageIsReportedAndOthersStillRun) {
  const auto dir = fresh_dir("bad_image");
  std::ofstream(dir / "broken.png") << "not a png";
  const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("tiny_rgb.pt") + " --out " + dir.string() +
                     " " + (dir / "broken.png").string() + " " + write_image(dir, 40, 32));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot read image"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "scene.npy"));
}

TEST(Cli, ABrokenModelOutputFailsTheImageAndWritesNothing) {
  const auto dir = fresh_dir("nan");
  const auto image = write_image(dir, 40, 32);
  const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("nan_output.pt") + " --out " +
                     (dir / "out").string() + " " + image);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not finite"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "scene.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "scene.png"));
}

TEST(Cli, ListsLayers) {
  const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("tiny_rgb.pt") + " --list-layers");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("features.4\t[1, 16, 16, 20]"), std::string::npos) << r.output;
}

// Every method writes a map of the image's size; the gradient methods need no masked pass.
TEST(Cli, EveryMethodWritesAMap) {
  const auto dir = fresh_dir("methods");
  const auto image = write_image(dir, 70, 50);
  for (const char* method : {"scorecam", "sscam", "iscam", "gradcam", "gradcampp"}) {
    const auto r = run(std::string(SCORECAM_CLI) + " --model " + test_model("tiny_rgb.pt") + " --method " + method +
                       " --samples 2 --json --out " + (dir / method).string() + " " + image);
    ASSERT_EQ(r.exit_code, 0) << method << "\n" << r.output;
    const auto summary = nlohmann::json::parse(r.output);
    const auto map = load_npy(summary[0]["map"].get<std::string>());
    EXPECT_EQ(map.sizes(), (std::vector<int64_t>{50, 70})) << method;
    EXPECT_GT(map.max().item<float>(), 0.9f) << method;  // resized to the image: the peak may fall between pixels
    EXPECT_LE(map.max().item<float>(), 1.f) << method;
  }
}

TEST(Cli, BadArgumentsExitNonZeroWithAMessage) {
  const std::string model = " --model " + test_model("tiny_rgb.pt");
  const std::string latin1_labels = (fresh_dir("latin1") / "labels.txt").string();
  std::ofstream(latin1_labels, std::ios::binary) << "shirt\nCaf\xE9\nshoe\nbag\nhat\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {model + " --layer nope --out /tmp x.png", "unknown layer 'nope'"},
      {model + " --max-channels many --out /tmp x.png", "--max-channels needs an integer"},
      {model + " --colormap rainbow --out /tmp x.png", "unknown colormap 'rainbow'"},
      {model + " --score-mode logits --out /tmp x.png", "unknown score mode 'logits'"},
      {model + " --method lime --out /tmp x.png", "unknown method 'lime': use one of scorecam, sscam, iscam"},
      {model + " --method sscam --samples -2 --out /tmp x.png", "samples must be 0 (the method's default) or positive"},
      {model + " --frobnicate", "unknown option --frobnicate"},
      {" --model /nonexistent.pt --out /tmp x.png", "does not exist"},
      {model + " --class -2 --out /tmp x.png", "--class needs an integer of at least -1, not '-2'"},
      {model + " --size 1x1 --out /tmp x.png", "--size needs HEIGHTxWIDTH (or one number for both), each an integer "
                                               "of at least 2, e.g. 224x224, not '1x1'"},
      {model + " --labels " + latin1_labels + " --out /tmp x.png", "labels file '" + latin1_labels + "' is not UTF-8: line 2"},
  };
  for (const auto& [arguments, message] : cases) {
    const auto r = run(std::string(SCORECAM_CLI) + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments;
    EXPECT_NE(r.output.find(message), std::string::npos) << arguments << "\n" << r.output;
  }
}

TEST(Bench, PrintsTheLimitTheRatioAndTheFrameTime) {
  const auto r = run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") +
                     " --frames 3 --seconds 0.2 --batch-size 8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"image: ", "samples/astronaut.jpg", "forward passes: ", "limit: ",
                           "on the masked inputs of the image, batch 8; the ratio divides by it",
                           "images/s on random-noise batches", "with the module as loaded",
                           "masked forward passes/s (", "ratio to the limit: ",
                           "ms per frame: median"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
}

TEST(Bench, NoLimitTimesOnlyTheFramesAndSavesTheMap) {
  const auto dir = fresh_dir("bench");
  const auto image = write_image(dir, 80, 64);
  const auto map = (dir / "map.npy").string();
  const auto r = run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") + " --image " + image +
                     " --frames 2 --no-limit --save-map " + map);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("limit: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("scorecam: 15 masked forward passes per frame\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("over 2 frames"), std::string::npos) << r.output;
  const auto saved = load_npy(map);
  EXPECT_EQ(saved.sizes(), (std::vector<int64_t>{32, 40}));  // the model's input size
  EXPECT_EQ(saved.max().item<float>(), 1.f);
}

TEST(Bench, ReadsAnImageSavedAsNpy) {
  const auto dir = fresh_dir("bench_npy");
  const auto image = (dir / "scene.npy").string();
  scorecam::save_npy(image, torch::randint(0, 256, {48, 60, 3}, torch::kUInt8));
  const std::string bench = std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") + " --image " + image;
  const auto r = run(bench + " --frames 1 --no-limit");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("image: " + image + "; method scorecam"), std::string::npos) << r.output;
  scorecam::save_npy(image, torch::rand({48, 60, 3}));
  const auto floats = run(bench + " --frames 1 --no-limit");
  EXPECT_EQ(floats.exit_code, 2);
  EXPECT_NE(floats.output.find("is not an RGB image: an image in .npy is height x width x 3, uint8"), std::string::npos)
      << floats.output;
}

TEST(Bench, StreamsShareOneModel) {
  const auto r = run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") +
                     " --streams 3 --parallel-passes 1 --frames 2 --no-limit --batch-size 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"streams: 3 on one model (parallel passes: 1): ", " frames/s together; ", " requests\n",
                           "over 6 frames"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
}

TEST(Bench, CudaGraphsNeedACudaDevice) {
  const auto r =
      run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") + " --cuda-graphs --no-limit");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cuda-graphs needs a CUDA device (device=cuda), not cpu"), std::string::npos) << r.output;
}

TEST(Bench, GradientMethodsPrintTheirFrameTime) {
  const auto r = run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") +
                     " --method gradcampp --frames 2 --seconds 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("method gradcampp"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gradcampp: one forward and one backward pass per frame"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("limit: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ms per frame: median"), std::string::npos) << r.output;
}

TEST(Bench, RejectsAnImageItCannotRead) {
  const auto r = run(std::string(SCORECAM_BENCH) + " --model " + test_model("tiny_rgb.pt") +
                     " --image /nonexistent.png --no-limit");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot read image '/nonexistent.png'"), std::string::npos) << r.output;
}

// Three images with boxes through every method: the table, the JSON and the pictures.
TEST(Eval, MeasuresEveryMethodAndWritesTheFiguresAndPictures) {
  const auto dir = eval_images("eval", {"a.png", "b.png", "c.jpg"}, {10, 8, 40, 30});
  const auto r = run(std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") + " --boxes " +
                     (dir / "boxes.json").string() + " --steps 4 --samples 2 --sanity-images 2 --json " +
                     (dir / "out.json").string() + " --plots " + (dir / "plots").string() + " " +
                     (dir / "images").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"3 images, predicted class", "| method | Average Drop %", "| scorecam |", "| sscam |",
                           "| iscam |", "| gradcam |", "| gradcampp |", "Sanity check: rank correlation",
                           "| head |", "| features.3 |", "| features.0 |", "[3/3] c.jpg"})
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  std::ifstream in(dir / "out.json");
  const auto out = nlohmann::json::parse(in);
  ASSERT_EQ(out["images"].size(), 3u);
  for (const auto& image : out["images"]) {
    ASSERT_EQ(image["methods"].size(), 5u);
    for (const auto& [method, figures] : image["methods"].items()) {
      EXPECT_EQ(figures["deletion"]["probabilities"].size(), 5u) << method;
      EXPECT_GE(figures["drop"].get<double>(), 0.0) << method;
      EXPECT_LE(figures["drop"].get<double>(), 1.0) << method;
      EXPECT_GE(figures["energy_in_box"].get<double>(), 0.0) << method;
    }
  }
  EXPECT_EQ(out["summary"].size(), 5u);
  EXPECT_EQ(out["sanity_check"].size(), 3u);
  for (const char* picture : {"curves.png", "maps.png"})
    EXPECT_FALSE(cv::imread((dir / "plots" / picture).string()).empty()) << picture;
}

TEST(Eval, BadInputGetsAClearMessage) {
  const auto dir = fresh_dir("eval_bad");
  std::filesystem::create_directories(dir / "empty");
  std::filesystem::create_directories(dir / "images");
  cv::Mat image(32, 40, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::imwrite((dir / "images" / "only.png").string(), image);
  std::ofstream(dir / "boxes.json") << R"({"other.png": [0, 0, 4, 4]})";
  std::ofstream(dir / "broken.json") << "{";
  const std::string eval = std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") + " ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {eval + "/no/such/folder", "image folder '/no/such/folder' does not exist"},
      {eval + (dir / "empty").string(), "holds no .png, .jpg, .jpeg or .bmp image"},
      {eval + "--boxes " + (dir / "boxes.json").string() + " " + (dir / "images").string(), "no box for image 'only.png'"},
      {eval + "--boxes " + (dir / "broken.json").string() + " " + (dir / "images").string(), "is not valid JSON"},
      {eval + "--methods scorecam,lime " + (dir / "images").string(), "unknown method 'lime'"},
      {eval, "give one IMAGE_DIR"}};
  for (const auto& [command, message] : cases) {
    const auto r = run(command);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.output.find(message), std::string::npos) << command << "\n" << r.output;
  }
}

// Boxes that are not an object's box, counts out of range and output paths that cannot be written
// are refused before the first image is measured: no figures from them, no hour lost.
TEST(Eval, BoxesOptionsAndOutputsAreCheckedBeforeTheFirstImage) {
  const auto dir = fresh_dir("eval_checks");
  std::filesystem::create_directories(dir / "images");
  cv::Mat image(48, 60, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::imwrite((dir / "images" / "a.png").string(), image);
  std::ofstream(dir / "not_a_folder") << "a file";
  const std::string eval = std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") + " --steps 2 ";
  const std::string images = " " + (dir / "images").string();
  int files = 0;  // a file for each box, as the cases are all written before the first runs
  const auto boxes = [&](const std::string& box) {
    const auto path = dir / ("boxes" + std::to_string(++files) + ".json");
    std::ofstream(path) << R"({"a.png": )" << box << "}";
    return "--boxes " + path.string() + images;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {eval + boxes("[40, 30, 10, 8]"), "box [40, 30, 10, 8] of image 'a.png' in '" + (dir / "boxes1.json").string() +
                                            "' has no area: it needs x0 < x1 and y0 < y1"},
      {eval + boxes("[10, 10, 10, 20]"), "box [10, 10, 10, 20] of image 'a.png'"},
      {eval + boxes("[100, 100, 120, 120]"), "box [100, 100, 120, 120] of image 'a.png' in '" +
                                                 (dir / "boxes3.json").string() +
                                                 "' does not lie within the image's 60 x 48 pixels"},
      {eval + boxes("[-5, 0, 20, 20]"), "0 <= x0 < x1 <= 60 and 0 <= y0 < y1 <= 48"},
      {eval + "--limit -1" + images, "--limit needs an integer of at least 1, not '-1'"},
      {eval + "--sanity-images -1" + images, "--sanity-images needs an integer of at least 0, not '-1'"},
      {eval + "--grid-images -1" + images, "--grid-images needs an integer of at least 0, not '-1'"},
      {eval + "--json /nonexistent/folder/out.json" + images, "--json: cannot write '/nonexistent/folder/out.json'"},
      {eval + "--plots " + (dir / "not_a_folder" / "plots").string() + images,
       "--plots: cannot write '" + (dir / "not_a_folder" / "plots").string() + "'"},
  };
  for (const auto& [command, message] : cases) {
    const auto r = run(command);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.output.find(message), std::string::npos) << command << "\n" << r.output;
    EXPECT_EQ(r.output.find("[1/1]"), std::string::npos) << "measured an image first: " << command << "\n" << r.output;
  }
  // A box along the image's edges is one, and the checked path gets the figures.
  const auto r = run(eval + "--methods scorecam --sanity-images 0 --json " + (dir / "out.json").string() + " " +
                     boxes("[0, 0, 60, 48]"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(nlohmann::json::parse(std::ifstream(dir / "out.json"))["images"].empty());
}

// Two objects of different classes per image: every method explains each class, and the table,
// the JSON and the picture hold one map per image, method and asked class.
TEST(Eval, DiscriminationExplainsEachLabelledClass) {
  // A class by its label and one by its number, side by side.
  const auto dir = eval_images("eval_discrimination", {"a.png", "b.png", "c.png"},
                               {{{"box", {2, 4, 28, 40}}, {"class", "beta"}}, {{"box", {30, 4, 58, 40}}, {"class", 3}}});
  const auto r = run(std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") +
                     " --discrimination --methods scorecam,gradcam,gradcampp --boxes " + (dir / "boxes.json").string() +
                     " --json " + (dir / "out.json").string() + " --plots " + (dir / "plots").string() + " " +
                     (dir / "images").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"Class discrimination: 3 images, each of their classes asked in turn (6 maps per method)",
                           "score mode probability", "| method | asked class wins %", "| scorecam |", "| gradcam |",
                           "| gradcampp |"})
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  EXPECT_EQ(r.output.find("Average Drop"), std::string::npos) << "ran the other measures too\n" << r.output;
  const auto out = nlohmann::json::parse(std::ifstream(dir / "out.json"))["discrimination"];
  EXPECT_EQ(out["score_mode"], "probability");
  ASSERT_EQ(out["images"].size(), 3u);
  for (const auto& image : out["images"]) {
    ASSERT_EQ(image["boxes"].size(), 2u);
    EXPECT_EQ(image["boxes"][0]["label"], "beta");
    EXPECT_EQ(image["boxes"][1]["class_id"], 3);
    ASSERT_EQ(image["methods"].size(), 3u);
    for (const auto& [method, figures] : image["methods"].items()) {
      ASSERT_EQ(figures["asked"].size(), 2u) << method;
      EXPECT_EQ(figures["asked"][0]["class_id"], 1) << method;
      EXPECT_EQ(figures["asked"][1]["label"], "delta") << method;
      for (const auto& asked : figures["asked"]) {
        const double in = asked["energy_in_asked_box"], other = asked["energy_in_other_boxes"];
        EXPECT_GE(in, 0.0) << method;
        EXPECT_LE(in + other, 1.0 + 1e-9) << method;
        EXPECT_EQ(asked["asked_wins"].get<bool>(), in > other) << method;  // two classes: wins is in > other
      }
      EXPECT_TRUE(figures["weight_correlation"].is_number()) << method;
    }
  }
  for (const char* method : {"scorecam", "gradcam", "gradcampp"}) {
    const auto& summary = out["summary"][method];
    EXPECT_EQ(summary["maps"], 6) << method;
    EXPECT_GE(summary["asked_wins_percent"].get<double>(), 0.0) << method;
    EXPECT_GE(summary["energy_in_asked_box"]["std"].get<double>(), 0.0) << method;
  }
  const cv::Mat picture = cv::imread((dir / "plots" / "discrimination.png").string());
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.cols, 160 * (1 + 3 * 2));  // the image, then each method for each asked class
}

// A boxes file that cannot measure class discrimination is refused, naming the image, the box
// and what is wrong, before any image is measured.
TEST(Eval, DiscriminationRefusesBoxesItCannotMeasure) {
  const auto dir = fresh_dir("eval_discrimination_bad");
  std::filesystem::create_directories(dir / "images");
  cv::imwrite((dir / "images" / "a.png").string(), cv::Mat(48, 60, CV_8UC3, cv::Scalar(10, 20, 30)));
  const std::string eval = std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") + " --discrimination ";
  const std::string images = " " + (dir / "images").string();
  int files = 0;
  std::vector<std::string> paths;
  const auto boxes = [&](const std::string& entry) {
    const auto path = dir / ("boxes" + std::to_string(++files) + ".json");
    std::ofstream(path) << R"({"a.png": )" << entry << "}";
    paths.push_back(path.string());
    return "--boxes " + path.string() + images;
  };
  const std::string left = R"({"box": [0, 0, 30, 40], "class": "alpha"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {eval + boxes(R"([{"box": [0, 0, 30, 40], "class": "alpha"}, {"box": [20, 0, 50, 40], "class": "beta"}])"),
       "image 'a.png' in '" + dir.string() + "/boxes1.json' has overlapping boxes of different classes (boxes 1 and 2"},
      {eval + boxes("[" + left + "]"), "image 'a.png' in '" + dir.string() +
                                           "/boxes2.json' has 1 box; class discrimination needs two or more"},
      {eval + boxes("[10, 10, 20, 20]"), "has 1 box; class discrimination needs two or more"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 60, 40], "class": "Sneaker"}])"),
       "box 2 of image 'a.png' in '" + dir.string() +
           "/boxes4.json' has class 'Sneaker', which the model does not have (its classes: alpha, beta, gamma, delta, "
           "epsilon)"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 60, 40], "class": 9}])"),
       "box 2 of image 'a.png' in '" + dir.string() + "/boxes5.json' has class 9, which the model does not have"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 70, 40], "class": "beta"}])"),
       "box 2 [30, 0, 70, 40] of image 'a.png' in '" + dir.string() +
           "/boxes6.json' does not lie within the image's 60 x 48 pixels"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 60, 40]}])"), "has a box without a class"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 60], "class": "beta"}])"),
       R"(box 2 of 'a.png' in ')" + dir.string() + R"(/boxes8.json' is not {"box": [x0, y0, x1, y1], "class": LABEL or NUMBER})"},
      {eval + boxes("[" + left + R"(, {"box": [30, 0, 60, 40], "class": "alpha"}])"),
       "has boxes of one class only; class discrimination needs two or more"},
      {eval + images, "--discrimination needs --boxes"},
  };
  for (const auto& [command, message] : cases) {
    const auto r = run(command);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.output.find(message), std::string::npos) << command << "\n" << r.output;
    EXPECT_EQ(r.output.find("[1/1]"), std::string::npos) << "measured an image first: " << command << "\n" << r.output;
  }
  // Labelled boxes are for --discrimination: the one-box measures refuse two of them.
  const auto r = run(std::string(SCORECAM_EVAL) + " --model " + test_model("tiny_rgb.pt") + " --boxes " +
                     dir.string() + "/boxes4.json" + images);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("image 'a.png' in '" + dir.string() + "/boxes4.json' has 2 boxes; the box measures take "
                          "one box per image"),
            std::string::npos)
      << r.output;
}

TEST(ReuseEval, StaticFramesKeepFullFidelityWithFewerPasses) {
  const auto dir = fresh_dir("reuse");
  const auto image = write_image(dir, 40, 32);
  std::string frames;
  for (int i = 0; i < 6; ++i) frames += " " + image;  // a static scene
  const auto r = run(std::string(SCORECAM_REUSE_EVAL) + " --model " + test_model("tiny_rgb.pt") +
                     " --intervals 3" + frames);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Static scene: the reused maps equal the full ones (correlation 1), at a fraction of the passes.
  EXPECT_NE(r.output.find("periodic      3     1.0000     1.0000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rolling       3     1.0000     1.0000"), std::string::npos) << r.output;
}

}  // namespace
