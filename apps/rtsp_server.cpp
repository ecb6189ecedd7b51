#include "rtsp_server.h"

namespace scorecam::app {
namespace {

template <typename Owner, typename Item>
GstRTSPFilterResult remove_all(Owner*, Item*, gpointer) {
  return GST_RTSP_FILTER_REMOVE;
}

}  // namespace

RtspServer::RtspServer(const std::string& address, int port, const RtspAccess& access)
    : address_(address), access_(access) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  server_ = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server_, address_.c_str());
  gst_rtsp_server_set_service(server_, std::to_string(port).c_str());
  const bool allowed = apply_access(access_, server_, error_);
  if (allowed) attached_ = gst_rtsp_server_attach(server_, context_);
  port_ = attached_ ? gst_rtsp_server_get_bound_port(server_) : -1;
  if (allowed && port_ <= 0)
    error_ = "cannot listen on " + address_ + ":" + std::to_string(port) + ": the address or port is not available";
  thread_ = std::thread([this] { g_main_loop_run(loop_); });
}

RtspServer::~RtspServer() {
  GstRTSPSessionPool* sessions = gst_rtsp_server_get_session_pool(server_);
  gst_rtsp_session_pool_filter(sessions, &remove_all<GstRTSPSessionPool, GstRTSPSession>, nullptr);
  g_object_unref(sessions);
  gst_rtsp_server_client_filter(server_, &remove_all<GstRTSPServer, GstRTSPClient>, nullptr);
  g_main_loop_quit(loop_);
  thread_.join();
  if (GSource* source = attached_ ? g_main_context_find_source_by_id(context_, attached_) : nullptr)
    g_source_destroy(source);
  g_object_unref(server_);
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void RtspServer::serve(const std::string& path, const std::string& launch) {
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  admit_viewers(access_, factory);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  gst_rtsp_mount_points_add_factory(mounts, path.c_str(), factory);  // takes the factory
  g_object_unref(mounts);
}

void RtspServer::stop_serving(const std::string& path) {
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  gst_rtsp_mount_points_remove_factory(mounts, path.c_str());
  g_object_unref(mounts);
}

std::string RtspServer::url(const std::string& path) const {
  const std::string host = address_ == "0.0.0.0" ? "HOST" : address_;
  return std::string(access_.tls() ? "rtsps://" : "rtsp://") + host + ":" + std::to_string(port_) + path;
}

}  // namespace scorecam::app
