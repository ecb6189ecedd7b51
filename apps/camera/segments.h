#pragma once
// A camera's recording on disk: the names of its segments, and the per-frame results that go
// beside each one. A segment is written as PREFIX-NNNNNN.partial.mp4 and renamed to
// PREFIX-NNNNNN.mp4, beside PREFIX-NNNNNN.jsonl, once it is finished: a file under its final name
// always plays.
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include <gst/gst.h>

#include "result_codec.h"
#include "scorecam/publish/frame_record.h"

namespace scorecam::camera {

// The segment files: numbered on from the highest number already in the directory, so that a
// restarted runner never overwrites a recording.
class SegmentNames {
 public:
  // Reads `directory` (which exists), unless it is empty: nothing is recorded then.
  SegmentNames(std::string directory, std::string prefix);

  // The partial video name of the next segment.
  std::string next_partial_video();

  // A name handed out last that was never written to (the muxer names a file before it has a
  // frame for it, also when a connection fails): its number is the next one's again, so that the
  // numbers of the recordings have no gaps.
  void give_back(const std::string& partial);

 private:
  std::string partial_video(long number) const;

  std::string directory_, prefix_;
  long next_ = 1;
};

// "DIR/segment-000003.partial.mp4" -> "DIR/segment-000003" + EXT.
std::string final_name(const std::string& partial_video, const std::string& extension);

// The frames of one connection and their results, held until the segment they fall in is
// finished. Every frame that reaches the element gets a record in its segment, numbered as the
// segment's MP4 decodes it and timed from that file's start, whether the element explained it or
// not (async mode: the first frames pass before the first heatmap): so record N is frame N of the
// MP4 beside it. A frame's result is posted when the element is done with it, before the encoder
// and the muxer have it, so it is here before the segment that holds the frame is finished.
class PendingResults {
 public:
  // A frame entering the element, by its running time; called by the streaming thread. One without
  // a time cannot be placed in a segment (nor muxed).
  void add_frame(GstClockTime running_time);

  // The element's result for the frame at `result.running_time`.
  void add_result(const scorecam_gst::ResultMessage& result);

  // Writes, as RESULTS.partial.jsonl then renamed, the records of the frames from `start` (the
  // running time of the segment's first frame) until `end` (all when none), and forgets them.
  // Returns how many, or -1 with `error` saying why.
  long write_until(GstClockTime start, GstClockTime end, const std::string& results, int connection,
                   std::string& error);

 private:
  // Takes the oldest frame if `wanted` holds for its running time.
  template <typename Wanted>
  bool next_frame(const Wanted& wanted, GstClockTime& time);

  std::mutex frames_mutex_;
  std::deque<GstClockTime> frames_;
  std::map<GstClockTime, publish::FrameRecord> results_;
};

}  // namespace scorecam::camera
