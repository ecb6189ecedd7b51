// A plain HTTP/1.1 client for the tests of scorecam-camera's API: one request per connection, read
// until the whole response is in, with a timeout. It sends whatever bytes it is given, so that a
// test can also send requests no client library would write. No GStreamer, no GLib.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace scorecam_test {

struct HttpReply {
  int status = 0;  // 0: no response (error says why)
  std::string headers, body, error;

  // The first header of that name (any case), or "".
  std::string header(const std::string& name) const {
    std::string lower_headers = headers, lower_name = name + ":";
    for (auto& c : lower_headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower_headers.find("\n" + lower_name);
    if (at == std::string::npos) return "";
    auto start = at + 1 + lower_name.size();
    while (start < headers.size() && headers[start] == ' ') ++start;
    const auto end = headers.find('\r', start);
    return headers.substr(start, end - start);
  }
};

namespace http_detail {

// The body once `data` (after the headers) holds all of it: by Content-Length, or chunked.
inline bool complete(const HttpReply& reply, const std::string& data, std::string& body) {
  const std::string length = reply.header("Content-Length");
  if (!length.empty()) {
    const auto size = std::stoul(length);
    if (data.size() < size) return false;
    body = data.substr(0, size);
    return true;
  }
  if (reply.header("Transfer-Encoding") != "chunked") return false;  // until the server closes
  body.clear();
  std::size_t at = 0;
  for (;;) {
    const auto line_end = data.find("\r\n", at);
    if (line_end == std::string::npos) return false;
    const auto size = std::stoul(data.substr(at, line_end - at), nullptr, 16);
    if (size == 0) return true;
    if (data.size() < line_end + 2 + size + 2) return false;
    body += data.substr(line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
}

}  // namespace http_detail

// Sends `request` as it is to 127.0.0.1:`port` and reads the response. `half_close`: then says
// nothing more comes, so that a server waiting for bytes a request promised gives up at once (some,
// Go's among them, take it for a client that has gone and answer nothing).
inline HttpReply http_exchange(int port, const std::string& request,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10), bool half_close = false) {
  HttpReply reply;
  const int socket_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(socket_fd);
    reply.error = "cannot connect to 127.0.0.1:" + std::to_string(port);
    return reply;
  }
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(socket_fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before it has read everything
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(socket_fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string received;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd readable{socket_fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
      reply.error = "no complete response within " + std::to_string(timeout.count()) + " ms";
      break;
    }
    char buffer[8192];
    const ssize_t n = recv(socket_fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      if (reply.status && reply.header("Content-Length").empty()) {
        reply.body = received.substr(received.find("\r\n\r\n") + 4);
        reply.error.clear();
      } else if (!reply.status) {
        reply.error = "the connection closed without a response";
      }
      break;
    }
    received.append(buffer, static_cast<std::size_t>(n));
    const auto end_of_headers = received.find("\r\n\r\n");
    if (end_of_headers == std::string::npos) continue;
    reply.headers = received.substr(0, end_of_headers + 2);
    if (reply.status == 0 && reply.headers.rfind("HTTP/1.", 0) == 0 && reply.headers.size() > 12)
      reply.status = std::stoi(reply.headers.substr(9, 3));
    if (http_detail::complete(reply, received.substr(end_of_headers + 4), reply.body)) break;
  }
  close(socket_fd);
  return reply;
}

// A free TCP port on 127.0.0.1, for a server the test starts that cannot be given port 0 and report it.
inline int free_port() {
  const int socket_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  bind(socket_fd, reinterpret_cast<sockaddr*>(&address), size);
  getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(socket_fd);
  return ntohs(address.sin_port);
}

// METHOD PATH with `headers` and `body` (its Content-Length added), on a connection of its own.
inline HttpReply http_request(int port, const std::string& method, const std::string& path,
                              const std::string& body = "",
                              const std::vector<std::pair<std::string, std::string>>& headers = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return http_exchange(port, request + "\r\n" + body, timeout);
}

}  // namespace scorecam_test
