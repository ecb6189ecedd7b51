#include "rtsp_access.h"

namespace scorecam::app {
namespace {

constexpr const char* kRole = "viewer";

// Without a login or TLS the server has no GstRTSPAuth, and everything is allowed.
bool open_to_all(const RtspAccess& access) { return access.user.empty() && !access.tls(); }

}  // namespace

std::string describe(const RtspAccess& access) {
  std::string text = access.user.empty() ? "anyone may watch" : "user " + access.user + ", digest authentication";
  return text + (access.tls() ? ", TLS" : ", no TLS");
}

bool apply_access(const RtspAccess& access, GstRTSPServer* server, std::string& error) {
  if (open_to_all(access)) return true;
  GstRTSPAuth* auth = gst_rtsp_auth_new();
  GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, kRole, nullptr);
  if (access.user.empty()) {
    gst_rtsp_auth_set_default_token(auth, token);  // TLS, but anyone may watch
  } else {
    // Digest only: the password never crosses the network, even without TLS.
    gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
    gst_rtsp_auth_add_digest(auth, access.user.c_str(), access.password.c_str(), token);
  }
  gst_rtsp_token_unref(token);
  if (access.tls()) {
    GError* tls_error = nullptr;
    GTlsCertificate* certificate =
        g_tls_certificate_new_from_files(access.certificate_file.c_str(), access.key_file.c_str(), &tls_error);
    if (!certificate) {
      error = "cannot load the TLS certificate " + access.certificate_file + " with the key " + access.key_file +
              ": " + tls_error->message;
      g_error_free(tls_error);
      g_object_unref(auth);
      return false;
    }
    gst_rtsp_auth_set_tls_certificate(auth, certificate);
    g_object_unref(certificate);
  }
  gst_rtsp_server_set_auth(server, auth);
  g_object_unref(auth);
  return true;
}

void admit_viewers(const RtspAccess& access, GstRTSPMediaFactory* factory) {
  if (open_to_all(access)) return;
  // RTP inside the TLS connection: over UDP it would travel in the clear.
  if (access.tls()) gst_rtsp_media_factory_set_protocols(factory, GST_RTSP_LOWER_TRANS_TCP);
  gst_rtsp_media_factory_add_role(factory, kRole, GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                  GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
}

}  // namespace scorecam::app
