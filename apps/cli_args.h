#pragma once
// A small "--name value" parser shared by the command-line tools, with errors that name the flag.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "scorecam/model.h"
#include "scorecam/score_cam.h"

namespace scorecam::cli {

// Options every tool shares: the model and how Score-CAM runs on it.
extern const std::set<std::string> kModelOptions;

class Args {
 public:
  // `flags` take no value; every other option in `options` takes one. Throws Error on unknown ones.
  Args(int argc, char** argv, const std::set<std::string>& options, const std::set<std::string>& flags);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string text(const std::string& name, const std::string& fallback = "") const;
  int integer(const std::string& name, int fallback) const;
  double number(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// --model, or the bundled model when absent; throws Error when neither exists.
std::string model_path(const class Args& args);
ModelOptions model_options(const class Args& args);
// Loads the model the options name; says on stderr when a pass cannot run on a frozen copy.
std::unique_ptr<Model> load_model(const class Args& args, const char* program);
ScoreCamOptions score_cam_options(const class Args& args);
// --method, --samples, --noise-sigma.
MethodOptions method_options(const class Args& args);

// Runs `run`, turning any exception into "program: message" on stderr and exit code 2.
int main_with_errors(const char* program, int argc, char** argv, int (*run)(int, char**));

// "224x224" or "224" -> height, width.
void parse_size(const std::string& text, int& height, int& width);

}  // namespace scorecam::cli
