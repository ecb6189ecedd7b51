#pragma once
// Where a server of the programs listens: [ADDRESS:]PORT, as --serve and --api take it, and
// whether that address reaches this machine only (the programs expose nothing beyond it unless
// told to, and then only behind a password or a token).
#include <string>

namespace scorecam::app {

struct ListenAddress {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free one
};

// [ADDRESS:]PORT ("8554", "0.0.0.0:8554", "[::1]:0"), the port from 0 to 65535; cli::UsageError
// naming `option` ("--serve") otherwise.
ListenAddress read_listen_address(const std::string& option, const std::string& text);

// "localhost", or an IP address of the loopback interface.
bool is_loopback(const std::string& address);

}  // namespace scorecam::app
