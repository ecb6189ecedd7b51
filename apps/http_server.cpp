#include "http_server.h"

#include <sstream>

namespace scorecam::app {
namespace {

std::vector<std::string> segments_of(const std::string& path) {
  std::vector<std::string> segments;
  std::istringstream in(path);
  for (std::string segment; std::getline(in, segment, '/');) segments.push_back(segment);
  if (!path.empty() && path.back() == '/') segments.emplace_back();  // "/a/" is not "/a"
  return segments;
}

// The segments that stood for "*", or nothing when `path` is not the route's.
std::optional<std::vector<std::string>> match(const std::vector<std::string>& pattern,
                                              const std::vector<std::string>& path) {
  if (pattern.size() != path.size()) return std::nullopt;
  std::vector<std::string> captured;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "*" && !path[i].empty()) captured.push_back(path[i]);
    else if (pattern[i] != path[i]) return std::nullopt;
  }
  return captured;
}

// Constant time: how long a wrong token took says nothing of how much of it was right.
bool same_secret(const std::string& given, const std::string& secret) {
  unsigned char difference = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i)
    difference |= static_cast<unsigned char>(secret[i] ^ (i < given.size() ? given[i] : 0));
  return difference == 0;
}

}  // namespace

HttpResponse json_response(int status, const nlohmann::json& body) {
  // Invalid UTF-8 (a path of garbage quoted back) is replaced, never a throw.
  return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", {}};
}

HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

HttpServer::HttpServer(Options options) : options_(std::move(options)) {}

HttpServer::~HttpServer() {
  if (!thread_.joinable()) return;
  // The slow requests answer through the loop: it runs until they have.
  {
    std::lock_guard<std::mutex> lock(slow_lock_);
    closing_ = true;
    for (auto& request : slow_) request.thread.join();  // they never wait for the server's thread
    slow_.clear();
  }
  // Through the loop itself: a quit that came before the loop runs would be lost.
  g_main_context_invoke(context_, [](gpointer loop) {
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_REMOVE;
  }, loop_);
  thread_.join();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void HttpServer::route(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, segments_of(pattern), std::move(handler)});
}

void HttpServer::route_slow(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, segments_of(pattern), std::move(handler), true});
}

void HttpServer::route_open(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, segments_of(pattern), std::move(handler), false, true});
}

bool HttpServer::open(const std::string& method, const std::string& path) const {
  const auto segments = segments_of(path);
  for (const Route& route : routes_)
    if (route.open && route.method == method && match(route.segments, segments)) return true;
  return false;
}

std::string HttpServer::url() const {
  const std::string& address = options_.listen.address;
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  return "http://" + host + ":" + std::to_string(port_);
}

bool HttpServer::start() {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  std::promise<void> listening;
  auto listened = listening.get_future();
  thread_ = std::thread([this, &listening] { serve(listening); });
  listened.wait();
  return error_.empty();
}

// Made, listening and run on its own thread, whose default context is the loop's: libsoup
// attaches its sources there.
void HttpServer::serve(std::promise<void>& listening) {
  g_main_context_push_thread_default(context_);
  server_ = soup_server_new(nullptr, nullptr);
  soup_server_add_early_handler(server_, nullptr, &HttpServer::on_headers, this, nullptr);
  soup_server_add_handler(server_, nullptr, &HttpServer::on_request, this, nullptr);
  const std::string address = options_.listen.address == "localhost" ? "127.0.0.1" : options_.listen.address;
  GSocketAddress* socket_address =
      g_inet_socket_address_new_from_string(address.c_str(), static_cast<guint>(options_.listen.port));
  GError* error = nullptr;
  if (!socket_address) {
    error_ = "'" + options_.listen.address + "' is not an IP address";
  } else if (!soup_server_listen(server_, socket_address, static_cast<SoupServerListenOptions>(0), &error)) {
    error_ = "cannot listen on " + options_.listen.address + ":" + std::to_string(options_.listen.port) + ": " +
             error->message;
    g_clear_error(&error);
  } else {
    GSList* uris = soup_server_get_uris(server_);
    port_ = uris ? g_uri_get_port(static_cast<GUri*>(uris->data)) : -1;
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  }
  if (socket_address) g_object_unref(socket_address);
  const bool serving = error_.empty();
  listening.set_value();  // from here on, `listening` is gone
  if (serving) g_main_loop_run(loop_);
  soup_server_disconnect(server_);
  g_object_unref(server_);
  g_main_context_pop_thread_default(context_);
}

std::optional<HttpResponse> HttpServer::refusal(SoupServerMessage* message, const std::string& path) const {
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
  if (!options_.token.empty() && !open(soup_server_message_get_method(message), path)) {
    const char* given = soup_message_headers_get_one(headers, "Authorization");
    const std::string bearer = "Bearer ";
    const std::string text = given ? given : "";
    if (text.size() < bearer.size() || g_ascii_strncasecmp(text.c_str(), bearer.c_str(), bearer.size()) != 0 ||
        !same_secret(text.substr(bearer.size()), options_.token)) {
      HttpResponse refused = error_response(401, "this API needs its token: send \"Authorization: Bearer TOKEN\"");
      refused.headers.emplace_back("WWW-Authenticate", "Bearer");
      return refused;
    }
  }
  // The body is read whole before a handler sees it: its size is known first, or it is not read.
  if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED)
    return error_response(411, "send the body with a Content-Length");
  if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length(headers) > static_cast<goffset>(options_.max_body))
    return error_response(413, "the body is larger than " + std::to_string(options_.max_body) + " bytes");
  return std::nullopt;
}

void HttpServer::on_headers(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
  if (const auto refused = static_cast<HttpServer*>(self)->refusal(message, path ? path : "/")) {
    HttpResponse response = *refused;
    response.headers.emplace_back("Connection", "close");  // its body, if any, is left unread
    respond(message, response);
  }
}

void HttpServer::on_request(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
  static_cast<HttpServer*>(self)->answer(message, path ? path : "/");
}

void HttpServer::answer(SoupServerMessage* message, const std::string& path) {
  HttpRequest request;
  request.method = soup_server_message_get_method(message);
  request.path = path;
  const auto segments = segments_of(path);
  std::string allowed;
  for (const Route& route : routes_) {
    const auto captured = match(route.segments, segments);
    if (!captured) continue;
    if (route.method != request.method) {
      allowed += (allowed.empty() ? "" : ", ") + route.method;
      continue;
    }
    request.captured = *captured;
    GBytes* body = soup_message_body_flatten(soup_server_message_get_request_body(message));
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body, &size));
    request.body.assign(data ? data : "", size);
    g_bytes_unref(body);
    if (route.slow) return answer_slowly(message, route, std::move(request));
    try {
      respond(message, route.handler(request));
    } catch (const std::exception& e) {
      respond(message, error_response(500, e.what()));
    }
    return;
  }
  if (allowed.empty()) return respond(message, error_response(404, "no such path: " + path));
  HttpResponse refused =
      error_response(405, request.method + " is not a method of " + path + " (it takes " + allowed + ")");
  refused.headers.emplace_back("Allow", allowed);
  respond(message, refused);
}

void HttpServer::answer_slowly(SoupServerMessage* message, const Route& route, HttpRequest request) {
  struct Answer {
    SoupServerMessage* message;
    HttpResponse response;
  };
  std::lock_guard<std::mutex> lock(slow_lock_);
  if (closing_) return respond(message, error_response(503, "the server is stopping"));
  soup_server_message_pause(message);
  g_object_ref(message);  // until it is answered, whether its client waits or has gone
  slow_.remove_if([](SlowRequest& done) {
    if (!done.done) return false;
    done.thread.join();
    return true;
  });
  SlowRequest& slow = slow_.emplace_back();
  slow.thread = std::thread([this, message, &route, request = std::move(request), &slow] {
    auto* answer = new Answer{message, {}};
    try {
      answer->response = route.handler(request);
    } catch (const std::exception& e) {
      answer->response = error_response(500, e.what());
    }
    // Answered on the server's thread, which owns the message.
    g_main_context_invoke(context_, [](gpointer data) {
      std::unique_ptr<Answer> answer(static_cast<Answer*>(data));
      respond(answer->message, answer->response);
      soup_server_message_unpause(answer->message);
      g_object_unref(answer->message);
      return G_SOURCE_REMOVE;
    }, answer);
    slow.done = true;
  });
}

void HttpServer::respond(SoupServerMessage* message, const HttpResponse& response) {
  soup_server_message_set_status(message, static_cast<guint>(response.status), nullptr);
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
  for (const auto& [name, value] : response.headers) soup_message_headers_append(headers, name.c_str(), value.c_str());
  soup_server_message_set_response(message, response.content_type.c_str(), SOUP_MEMORY_COPY, response.body.data(),
                                   response.body.size());
}

}  // namespace scorecam::app
