#include "model_view.h"

#include <cstdint>
#include <optional>
#include <string>

#include "scorecam/error.h"

namespace scorecam_gst {
namespace {

// Formats whose pixels the model input is read from directly.
std::optional<scorecam::PixelLayout> packed_rgb_layout(GstVideoFormat format) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: return scorecam::PixelLayout::RGB;
    case GST_VIDEO_FORMAT_BGR: return scorecam::PixelLayout::BGR;
    case GST_VIDEO_FORMAT_RGBA: return scorecam::PixelLayout::RGBA;
    case GST_VIDEO_FORMAT_BGRA: return scorecam::PixelLayout::BGRA;
    case GST_VIDEO_FORMAT_RGBx: return scorecam::PixelLayout::RGBx;
    case GST_VIDEO_FORMAT_BGRx: return scorecam::PixelLayout::BGRx;
    case GST_VIDEO_FORMAT_xRGB: return scorecam::PixelLayout::xRGB;
    case GST_VIDEO_FORMAT_xBGR: return scorecam::PixelLayout::xBGR;
    case GST_VIDEO_FORMAT_ARGB: return scorecam::PixelLayout::ARGB;
    case GST_VIDEO_FORMAT_ABGR: return scorecam::PixelLayout::ABGR;
    default: return std::nullopt;
  }
}

scorecam::ImageView view_of(const GstVideoFrame* frame, scorecam::PixelLayout layout) {
  return {static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)), GST_VIDEO_FRAME_WIDTH(frame),
          GST_VIDEO_FRAME_HEIGHT(frame), static_cast<std::size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0)), layout};
}

}  // namespace

ModelView::ModelView(const GstVideoInfo* info) {
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(info);
  if (const auto layout = packed_rgb_layout(format)) {
    layout_ = *layout;
    return;
  }
  GstVideoInfo rgb = *info;  // same size, rate and aspect: the converter insists
  gst_video_info_set_interlaced_format(&rgb, GST_VIDEO_FORMAT_RGB, GST_VIDEO_INFO_INTERLACE_MODE(info),
                                       GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info));
  GST_VIDEO_INFO_FPS_N(&rgb) = GST_VIDEO_INFO_FPS_N(info);
  GST_VIDEO_INFO_FPS_D(&rgb) = GST_VIDEO_INFO_FPS_D(info);
  GST_VIDEO_INFO_PAR_N(&rgb) = GST_VIDEO_INFO_PAR_N(info);
  GST_VIDEO_INFO_PAR_D(&rgb) = GST_VIDEO_INFO_PAR_D(info);
  // No dithering: the same frame always gives the model the same input.
  converter_ = gst_video_converter_new(const_cast<GstVideoInfo*>(info), &rgb,
                                       gst_structure_new("GstVideoConverter", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
                                                         GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE,
                                                         nullptr));
  buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb), nullptr);
  if (!converter_ || !buffer_ || !gst_video_frame_map(&rgb_, &rgb, buffer_, GST_MAP_READWRITE)) {
    release();
    throw scorecam::Error(std::string("cannot read ") + gst_video_format_to_string(format) + " frames as RGB");
  }
  mapped_ = true;
}

ModelView::~ModelView() { release(); }

scorecam::ImageView ModelView::of(GstVideoFrame* frame) {
  if (!converter_) return view_of(frame, layout_);
  gst_video_converter_frame(converter_, frame, &rgb_);
  return view_of(&rgb_, scorecam::PixelLayout::RGB);
}

void ModelView::release() {
  if (mapped_) gst_video_frame_unmap(&rgb_);
  if (buffer_) gst_buffer_unref(buffer_);
  if (converter_) gst_video_converter_free(converter_);
  mapped_ = false;
  buffer_ = nullptr;
  converter_ = nullptr;
}

}  // namespace scorecam_gst
