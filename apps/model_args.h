#pragma once
// The command line of the programs on the core (scorecam, scorecam-bench, scorecam-reuse-eval,
// scorecam-eval): the options they share, for the model and how its maps are made.
#include <initializer_list>
#include <memory>
#include <set>
#include <string>

#include "command_line.h"
#include "scorecam/model.h"
#include "scorecam/score_cam.h"

namespace scorecam::cli {

// The model options every one of these programs takes, and the program's own.
std::set<std::string> with_model_options(std::initializer_list<std::string> own);

// --model, or the bundled model when absent; throws Error when neither exists.
std::string model_path(const CommandLine& args);

// What a program runs with unless told otherwise. The measuring programs keep the library's
// defaults: fp32, and copies chosen afresh at every load, on the machine as it is now. The program
// a user explains images with runs as the element does: kUserDefaultPrecision, and the copies
// remembered in default_choice_cache_dir(), so that a short run is at steady speed.
enum class Defaults { kMeasuring, kUser };

// Also --parallel-passes, --channels-last and --cuda-graphs, where the program's syntax takes them.
ModelOptions model_options(const CommandLine& args, Defaults defaults = Defaults::kMeasuring);
// Loads the model the options name; says on stderr when a pass cannot run on a frozen copy.
std::unique_ptr<Model> load_model(const CommandLine& args, const char* program,
                                  Defaults defaults = Defaults::kMeasuring);
ScoreCamOptions score_cam_options(const CommandLine& args);
// --method, --samples, --noise-sigma.
MethodOptions method_options(const CommandLine& args);

// cli::run, with any other error as "program: message" and status 2, as well.
int main_with_errors(const Program& program, int argc, char** argv, int (*body)(const CommandLine&));

// "224x224" or "224" -> height, width.
void parse_size(const std::string& text, int& height, int& width);

}  // namespace scorecam::cli
