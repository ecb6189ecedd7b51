#include "url_credentials.h"

#include <algorithm>
#include <regex>

#include <glib.h>

namespace scorecam::app {

std::string redact_credentials(const std::string& text) {
  static const std::regex scheme("[A-Za-z][A-Za-z0-9+.-]*://");
  std::string result;
  size_t copied = 0;
  for (auto match = std::sregex_iterator(text.begin(), text.end(), scheme); match != std::sregex_iterator(); ++match) {
    const size_t start = match->position() + match->length();
    if (start < copied) continue;  // inside a URL already handled
    const size_t end = std::min(text.find_first_of(" \t\r\n'\"<>", start), text.size());
    // The last '@' of the URL ends its user information: a password may hold an unencoded '@' or
    // '/', and hiding too much is the safe side.
    const size_t at = text.rfind('@', end - 1);
    if (at == std::string::npos || at < start) continue;
    const size_t colon = text.find(':', start);
    if (colon >= at) continue;  // a user without a password
    result.append(text, copied, colon + 1 - copied).append("***");
    copied = at;
  }
  return result.append(text, copied, std::string::npos);
}

std::optional<SplitUrl> split_credentials(const std::string& url) {
  // The user and password decoded; the rest as written, so that the location is the user's own.
  const auto flags = static_cast<GUriFlags>(G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH |
                                            G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_FRAGMENT);
  GUri* uri = g_uri_parse(url.c_str(), flags, nullptr);  // its error would quote the password
  if (!uri) return std::nullopt;
  gchar* location = g_uri_to_string_partial(uri, G_URI_HIDE_USERINFO);
  SplitUrl split{location, g_uri_get_user(uri) ? g_uri_get_user(uri) : "",
                 g_uri_get_password(uri) ? g_uri_get_password(uri) : ""};
  g_free(location);
  g_uri_unref(uri);
  return split;
}

}  // namespace scorecam::app
