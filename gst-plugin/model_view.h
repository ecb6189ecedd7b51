// The model's view of a video frame: the frame's own pixels when it is packed RGB, else an RGB
// copy made by GstVideoConverter (YUV, grey, 10-bit...). The frame itself is never converted back.
#pragma once

#include <gst/video/video.h>

#include "scorecam/image.h"

namespace scorecam_gst {

// One per negotiated format: the converter and the RGB copy are made once, not per frame.
class ModelView {
 public:
  // Throws scorecam::Error when frames of this format cannot be read as RGB.
  explicit ModelView(const GstVideoInfo* info);
  ~ModelView();
  ModelView(const ModelView&) = delete;
  ModelView& operator=(const ModelView&) = delete;

  // Valid until the next call, and while `frame` stays mapped.
  scorecam::ImageView of(GstVideoFrame* frame);

 private:
  void release();

  scorecam::PixelLayout layout_ = scorecam::PixelLayout::RGB;
  GstVideoConverter* converter_ = nullptr;
  GstBuffer* buffer_ = nullptr;
  GstVideoFrame rgb_{};
  bool mapped_ = false;
};

}  // namespace scorecam_gst
