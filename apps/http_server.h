#pragma once
// An HTTP server (libsoup 3) on a main loop of its own, so that it answers whatever the program's
// threads are doing: routes by method and path, each to a handler that returns the response. What
// every route shares is here, once: the bearer token (on every route but route_open()'s), the body
// size limit, 404 for an unknown path, 405 (with Allow) for a method the path does not take, and
// 500 for a handler that throws, each with a JSON body {"error": "..."}. A program adds its
// routes, then starts it.
#include <atomic>
#include <cstddef>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <libsoup/soup.h>
#include <nlohmann/json.hpp>

#include "listen_address.h"

namespace scorecam::app {

struct HttpRequest {
  std::string method, path, body;
  std::vector<std::string> captured;  // the path's segments that stood for "*" in the route, in order
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

HttpResponse json_response(int status, const nlohmann::json& body);
// {"error": message}: what every refusal answers.
HttpResponse error_response(int status, const std::string& message);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  struct Options {
    ListenAddress listen;
    std::string token;  // not empty: every request needs "Authorization: Bearer TOKEN" (else 401)
    std::size_t max_body = 64 * 1024;  // a larger body gets 413, unread
  };

  explicit HttpServer(Options options);
  ~HttpServer();  // answers the slow requests in progress first
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `pattern`: a path whose segments are literal, or "*" for any one segment ("/api/v1/cameras/*").
  // Before start().
  void route(const std::string& method, const std::string& pattern, Handler handler);
  // A handler that may take long (removing a camera waits for its segment): it runs on a thread of
  // its own, while the server goes on answering the others.
  void route_slow(const std::string& method, const std::string& pattern, Handler handler);
  // A route that needs no token: a page that holds nothing but itself (the status page, whose
  // script then asks for the token and sends it with its own requests).
  void route_open(const std::string& method, const std::string& pattern, Handler handler);

  // Listens; false if it cannot (error() says why).
  bool start();
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string url() const;  // http://ADDRESS:PORT

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    bool slow = false, open = false;
  };
  struct SlowRequest {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  static void on_headers(SoupServer*, SoupServerMessage* message, const char*, GHashTable*, gpointer self);
  static void on_request(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self);
  // What refuses the request before its body is read (401, 411, 413), or nothing.
  std::optional<HttpResponse> refusal(SoupServerMessage* message, const std::string& path) const;
  bool open(const std::string& method, const std::string& path) const;  // a route_open()'s
  void answer(SoupServerMessage* message, const std::string& path);
  void answer_slowly(SoupServerMessage* message, const Route& route, HttpRequest request);
  static void respond(SoupServerMessage* message, const HttpResponse& response);
  void serve(std::promise<void>& listening);  // the server's thread

  Options options_;
  std::vector<Route> routes_;
  std::string error_;
  int port_ = -1;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  SoupServer* server_ = nullptr;
  std::mutex slow_lock_;
  std::list<SlowRequest> slow_;
  bool closing_ = false;  // the destructor has begun: no more slow requests
  std::thread thread_;
};

}  // namespace scorecam::app
