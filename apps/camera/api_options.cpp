#include "camera/api_options.h"

#include "secret_file.h"

namespace scorecam::camera {
namespace {

// Long enough that guessing it over the network is hopeless (a random hex string of 32 is usual).
constexpr std::size_t kShortestToken = 16;

}  // namespace

void add_api_options(cli::Syntax& syntax) { syntax.options.insert({"api", "api-token-file"}); }

std::optional<ApiOptions> read_api_options(const cli::CommandLine& args) {
  if (!args.has("api")) {
    if (args.has("api-token-file")) throw cli::UsageError("--api-token-file needs --api");
    return std::nullopt;
  }
  ApiOptions options;
  options.listen = app::read_listen_address("--api", args.text("api"));
  if (args.has("api-token-file")) {
    options.token = app::read_secret_file("--api-token-file", args.text("api-token-file"), "a token");
    if (options.token.size() < kShortestToken)
      throw cli::UsageError("--api-token-file " + args.text("api-token-file") + ": the token has " +
                            std::to_string(options.token.size()) + " characters; give at least " +
                            std::to_string(kShortestToken) + " (for example: openssl rand -hex 32)");
  }
  if (options.token.empty() && !app::is_loopback(options.listen.address))
    throw cli::UsageError("--api " + args.text("api") + " would let anyone who reaches " + options.listen.address +
                          " add and remove cameras: give --api-token-file FILE (clients then send "
                          "\"Authorization: Bearer TOKEN\"), or listen on 127.0.0.1");
  return options;
}

}  // namespace scorecam::camera
