// scorecam: Score-CAM on image files. Writes an overlay PNG and the raw map (.npy) per image.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "model_args.h"
#include "scorecam/error.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/maps.h"
#include "scorecam/npy.h"
#include "scorecam/overlay.h"
#include "scorecam/target_class.h"

namespace {

using namespace scorecam;

const char* kUsage = R"(usage: scorecam [--model M.pt] [--config M.json] [--labels L.txt] [--layer NAME]
                [--class C] [--method scorecam|sscam|iscam|gradcam|gradcampp] [--samples N]
                [--noise-sigma S] [--score-mode probability|logit-softmax|cic|centred] [--batch-size B]
                [--max-channels N] [--selection all|std|mean|random] [--seed S]
                [--device cpu|cuda|cuda:N] [--precision auto|fp32|fp16|bf16|int8] [--size HxW]
                [--colormap jet|turbo|inferno|viridis|magma|hot] [--alpha A] [--json]
                --out DIR IMAGE...
       scorecam [--model M.pt] [--config M.json] --list-layers

For each IMAGE writes DIR/NAME.png (the heatmap blended into the image, with the top class) and
DIR/NAME.npy (the float32 map in [0, 1] at the image's height and width), and prints the top-5
classes. --json prints one machine-readable summary instead. Without --model, the bundled model.
--method: Score-CAM (default), SS-CAM and IS-CAM (each mask scored on --samples inputs, default 35
and 10; SS-CAM adds Gaussian noise of std --noise-sigma, default 2, to each mask), Grad-CAM and
Grad-CAM++ (one forward and one backward pass). --precision of the masked passes: auto (default)
keeps the fastest copy of the model whose scores agree with fp32's (docs/element.md, "Precision").
)";

struct ImageResult {
  std::string image;
  FrameResult frame;
  std::string overlay_path, map_path;
  double milliseconds = 0;
};

ImageResult explain_image(FrameExplainer& explainer, const std::string& path, const std::filesystem::path& out,
                          const OverlayOptions& overlay) {
  cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
  if (image.empty()) throw Error("cannot read image '" + path + "' (missing, unreadable or not an image)");
  ImageView view{image.data, image.cols, image.rows, image.step[0], PixelLayout::BGR};
  ImageResult result;
  result.image = path;
  const auto start = std::chrono::steady_clock::now();
  result.frame = explainer.process(view);
  result.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  // Nothing is written for a broken output: files of zeros would look like a result.
  if (!result.frame.valid) throw Error("the model's class scores for '" + path + "' are not finite (NaN or infinity)");
  const auto map = resize_map(result.frame.map, image.rows, image.cols);
  const std::string stem = std::filesystem::path(path).stem().string();
  result.map_path = (out / (stem + ".npy")).string();
  save_npy(result.map_path, map);
  blend_heatmap(view, map, overlay);
  draw_caption(view, caption_text(result.frame, explainer.model().label(result.frame.target_class)));
  result.overlay_path = (out / (stem + ".png")).string();
  if (!cv::imwrite(result.overlay_path, image)) throw Error("cannot write '" + result.overlay_path + "'");
  return result;
}

nlohmann::json to_json(const ImageResult& r) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& c : r.frame.top) top.push_back({{"class_id", c.class_id}, {"label", c.label}, {"probability", c.probability}});
  return {{"image", r.image},         {"target_class", r.frame.target_class}, {"top", top},
          {"overlay", r.overlay_path}, {"map", r.map_path},                    {"empty", r.frame.empty},
          {"forward_passes", r.frame.forward_passes}, {"milliseconds", r.milliseconds}};
}

void print_text(const ImageResult& r) {
  std::cout << r.image << " -> " << r.overlay_path << " (" << r.frame.forward_passes << " forward passes, "
            << static_cast<int>(r.milliseconds) << " ms" << (r.frame.empty ? ", empty map" : "") << ")\n";
  for (std::size_t i = 0; i < r.frame.top.size(); ++i) {
    const auto& c = r.frame.top[i];
    std::cout << "  " << i + 1 << ". " << c.label << " (" << c.class_id << ") " << c.probability << "\n";
  }
}

int list_layers(const cli::CommandLine& args) {
  const auto model = cli::model_path(args);
  for (const auto& layer : Model::list_layers(model, cli::model_options(args))) {
    std::cout << layer.name << "\t[";
    for (std::size_t i = 0; i < layer.shape.size(); ++i) std::cout << (i ? ", " : "") << layer.shape[i];
    std::cout << "]\n";
  }
  return 0;
}

int run(const cli::CommandLine& args) {
  if (args.has("list-layers")) return list_layers(args);
  if (!args.has("out") || args.positional().empty()) throw cli::UsageError("--out and at least one IMAGE are needed");
  const std::filesystem::path out = args.text("out");
  std::filesystem::create_directories(out);

  OverlayOptions overlay;
  overlay.colormap = parse_colormap(args.text("colormap", "jet"));
  overlay.alpha = args.number("alpha", 0.5, cli::Range::from_to(0, 1));
  const auto model = cli::load_model(args, "scorecam", cli::Defaults::kUser);
  FrameExplainer explainer(*model, cli::score_cam_options(args), ReuseOptions{}, args.integer("class", kPredictedClass, cli::Range::at_least(kPredictedClass)),
                           cli::method_options(args));

  int failures = 0;
  nlohmann::json summary = nlohmann::json::array();
  for (const auto& image : args.positional()) {
    try {
      const auto result = explain_image(explainer, image, out, overlay);
      if (args.has("json")) {
        summary.push_back(to_json(result));
      } else {
        print_text(result);
      }
    } catch (const Error& e) {
      ++failures;
      std::cerr << "scorecam: " << e.what() << "\n";
      if (args.has("json")) summary.push_back({{"image", image}, {"error", e.what()}});
    }
  }
  if (args.has("json")) std::cout << summary.dump(2) << "\n";
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = scorecam::cli;
  const cli::Syntax syntax{cli::with_model_options({"class", "out", "colormap", "alpha"}), {"json", "list-layers"}};
  return cli::main_with_errors({"scorecam", kUsage, syntax}, argc, argv, run);
}
