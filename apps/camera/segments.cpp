#include "camera/segments.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "overlay_app.h"
#include "scorecam/publish/error.h"
#include "scorecam/publish/json_lines_writer.h"

namespace scorecam::camera {

SegmentNames::SegmentNames(std::string directory, std::string prefix)
    : directory_(std::move(directory)), prefix_(std::move(prefix)) {
  if (directory_.empty()) return;  // nothing is recorded
  const std::string start = prefix_ + "-";
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(start, 0) != 0) continue;
    const std::string rest = name.substr(start.size());
    const size_t digits = rest.find_first_not_of("0123456789");
    if (digits > 0 && digits != std::string::npos && rest[digits] == '.')
      next_ = std::max(next_, std::stol(rest.substr(0, digits)) + 1);
  }
}

std::string SegmentNames::next_partial_video() { return partial_video(next_++); }

void SegmentNames::give_back(const std::string& partial) {
  if (next_ > 1 && partial == partial_video(next_ - 1)) --next_;
}

std::string SegmentNames::partial_video(long number) const {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%06ld", number);
  return app::partial_name(directory_ + "/" + prefix_ + "-" + digits + ".mp4");
}

std::string final_name(const std::string& partial_video, const std::string& extension) {
  return partial_video.substr(0, partial_video.size() - std::string(".partial.mp4").size()) + extension;
}

void PendingResults::add_frame(GstClockTime running_time) {
  if (!GST_CLOCK_TIME_IS_VALID(running_time)) return;
  std::lock_guard<std::mutex> lock(frames_mutex_);
  frames_.push_back(running_time);
}

void PendingResults::add_result(const scorecam_gst::ResultMessage& result) {
  if (!GST_CLOCK_TIME_IS_VALID(result.running_time)) return;
  auto record = app::frame_record(result, 0);
  // The source frame's time on the same running-time axis as the frames, for timing it from the
  // segment's start too.
  const auto pts = scorecam_gst::seconds_of(result.timestamp), running = scorecam_gst::seconds_of(result.running_time);
  auto& source = record.explanation->source_pts;
  source = source && pts && running ? std::optional<double>(*source + *running - *pts) : std::nullopt;
  results_[result.running_time] = std::move(record);
}

template <typename Wanted>
bool PendingResults::next_frame(const Wanted& wanted, GstClockTime& time) {
  std::lock_guard<std::mutex> lock(frames_mutex_);
  if (frames_.empty() || !wanted(frames_.front())) return false;
  time = frames_.front();
  frames_.pop_front();
  return true;
}

long PendingResults::write_until(GstClockTime start, GstClockTime end, const std::string& results, int connection,
                                 std::string& error) {
  const std::string partial = app::partial_name(results);
  const auto ends_before = [&](GstClockTime time) { return !GST_CLOCK_TIME_IS_VALID(end) || time < end; };
  long frames = 0;
  try {
    publish::JsonLinesWriter out(partial);
    for (GstClockTime time; next_frame(ends_before, time);) {
      const auto result = results_.find(time);
      publish::FrameRecord record;
      if (result != results_.end()) record = std::move(result->second);
      if (time < start) continue;  // before the segment's first keyframe: in no file
      record.frame = frames++;
      record.pts = static_cast<double>(time - start) / GST_SECOND;
      if (record.explanation && record.explanation->source_pts)
        *record.explanation->source_pts -= static_cast<double>(start) / GST_SECOND;
      record.connection = connection;
      out.write(publish::to_json_line(record));
    }
    results_.erase(results_.begin(), GST_CLOCK_TIME_IS_VALID(end) ? results_.lower_bound(end) : results_.end());
  } catch (const publish::PublishError& e) {
    error = e.what();
    return -1;
  }
  if (std::rename(partial.c_str(), results.c_str()) != 0) {
    error = "cannot rename " + partial + " to " + results + ": " + std::strerror(errno);
    return -1;
  }
  return frames;
}

}  // namespace scorecam::camera
