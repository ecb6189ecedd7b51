#include "camera/camera_log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

#include <glib.h>

#include "url_credentials.h"

namespace scorecam::camera {

void log(const std::string& who, const char* format, ...) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);  // the cameras' threads log at once: not std::localtime's shared buffer
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  va_list args;
  va_start(args, format);
  gchar* line = g_strdup_vprintf(format, args);
  va_end(args);
  const std::string text = app::redact_credentials(who + line);
  std::fprintf(stderr, "%s %s: %s\n", stamp, kProgram, text.c_str());
  g_free(line);
}

}  // namespace scorecam::camera
