#include "camera/newest_frame.h"

#include <utility>

#include <gst/video/video.h>

namespace scorecam::camera {
namespace {

// The heatmap into the pixels: scorecamoverlay leaves it as a composition meta when everything
// downstream draws such metas itself (a display alone), and blends it otherwise.
void draw_composition(GstBuffer* buffer, GstCaps* caps) {
  GstVideoOverlayCompositionMeta* meta = gst_buffer_get_video_overlay_composition_meta(buffer);
  if (!meta) return;
  GstVideoInfo info;
  GstVideoFrame frame;
  if (gst_video_info_from_caps(&info, caps) && gst_video_frame_map(&frame, &info, buffer, GST_MAP_READWRITE)) {
    gst_video_overlay_composition_blend(meta->overlay, &frame);
    gst_video_frame_unmap(&frame);
  }
  gst_buffer_remove_meta(buffer, &meta->meta);
}

}  // namespace

ExplainedFrame::ExplainedFrame(GstSample* sample, scorecam_gst::Classification classification, uint64_t number)
    : classification(std::move(classification)), number(number), sample_(sample) {}

ExplainedFrame::~ExplainedFrame() { gst_sample_unref(sample_); }

std::string ExplainedFrame::jpeg(std::string& error) const {
  std::lock_guard<std::mutex> lock(lock_);
  if (!jpeg_.empty()) return jpeg_;
  GstCaps* jpeg_caps = gst_caps_new_empty_simple("image/jpeg");
  GError* failure = nullptr;
  // A pipeline of its own (videoconvert ! jpegenc), on this thread: the camera's goes on.
  GstSample* encoded = gst_video_convert_sample(sample_, jpeg_caps, 10 * GST_SECOND, &failure);
  gst_caps_unref(jpeg_caps);
  if (!encoded) {
    error = std::string("cannot encode the frame as JPEG: ") + (failure ? failure->message : "no reason given");
    g_clear_error(&failure);
    return "";
  }
  GstBuffer* buffer = gst_sample_get_buffer(encoded);
  GstMapInfo map;
  if (buffer && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    jpeg_.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
  }
  gst_sample_unref(encoded);
  if (jpeg_.empty()) error = "the JPEG encoder gave no bytes";
  return jpeg_;
}

void NewestFrame::offer(GstPad* pad, GstBuffer* buffer) {
  const auto now = Clock::now();
  if (now - last_kept_ < interval_) return;
  auto classification = scorecam_gst::classification_of(buffer);
  if (!classification) return;  // no map yet (the first frames in async mode): nothing explained
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) return;
  GstBuffer* copy = gst_buffer_copy_deep(buffer);
  draw_composition(copy, caps);
  auto kept = std::make_shared<const ExplainedFrame>(gst_sample_new(copy, caps, nullptr, nullptr),
                                                     std::move(*classification), ++kept_);
  gst_buffer_unref(copy);
  gst_caps_unref(caps);
  last_kept_ = now;
  std::unique_lock<std::mutex> lock(lock_);
  std::swap(newest_, kept);
  lock.unlock();  // `kept`, now the one replaced, is freed on return, outside the lock
}

std::shared_ptr<const ExplainedFrame> NewestFrame::get() const {
  std::lock_guard<std::mutex> lock(lock_);
  return newest_;
}

}  // namespace scorecam::camera
