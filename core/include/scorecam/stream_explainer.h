#pragma once
// What explaining a stream of frames needs around a FrameExplainer, for a video element or a
// program: sync or async processing, flushes, settings that change between frames, and the
// latency a frame adds.
//
// Sync: submit() explains the frame it is given. Async: submit() hands a copy of the frame to a
// worker (NewestFrameWorker: a newer frame replaces one still waiting) and returns at once with
// the newest finished heatmap, so every frame leaves on time while the model lags behind.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "scorecam/frame_explainer.h"
#include "scorecam/image.h"
#include "scorecam/model.h"
#include "scorecam/newest_frame_worker.h"

namespace scorecam {

// What a FrameExplainer is built from: changing any of it rebuilds the explainer.
struct ExplainerSettings {
  int target_class = -1;  // -1: each frame's predicted class
  MethodOptions method;
  ScoreCamOptions score_cam;
  ReuseOptions reuse;
};

// A finished explanation, shared by every frame it is drawn on.
struct Heatmap {
  FrameResult result;        // map: contiguous float32 on the CPU
  std::string target_label;  // label of result.target_class
  std::string caption;       // what to draw on the frame (caption_text)
  int64_t source_timestamp = 0;
  // From the submit() of the frame it explains until it was ready: in async mode the frame's wait
  // for the worker (and for the passes of other streams on a shared model) included.
  std::chrono::nanoseconds latency{0};
};

// Called on the thread that found them; none may call back into the StreamExplainer.
struct StreamEvents {
  std::function<void(const std::string&)> failed;   // async: explaining failed, no more heatmaps come
  std::function<void(const std::string&)> warning;  // a setting could not be applied, or outputs are not finite
  std::function<void(std::chrono::nanoseconds)> latency_grew;  // sync: a frame took clearly over latency()
  std::function<void()> explaining;  // an explanation starts (tracing; tests use it to hold the worker)
};

class StreamExplainer {
 public:
  // Estimates the latency from a few forward batches (ScoreCam::estimate_seconds_per_frame);
  // throws scorecam::Error on settings the model cannot take.
  StreamExplainer(std::shared_ptr<Model> model, const ExplainerSettings& settings, bool async,
                  StreamEvents events = {});
  ~StreamExplainer();  // async: the explanation in flight finishes first

  // Sync: the frame's heatmap. Async: the newest finished heatmap, or nullptr before the first one
  // (and after a flush, until the next one). Sync also returns nullptr if a flush overtook it.
  std::shared_ptr<const Heatmap> submit(const ImageView& frame, int64_t timestamp);

  // Applies from the next explanation. A target class the model lacks falls back to -1, with a warning.
  void reconfigure(const ExplainerSettings& settings);
  // Sync: what the frame of the last submit() took in all, drawing included (see
  // FrameExplainer::frame_finished). Async frames do not wait for the model: the worker's own time counts.
  void frame_finished(std::chrono::nanoseconds took);
  // A seek: the waiting frame, the newest heatmap, work in flight and reused scores are all stale.
  void flush();
  // A gap in the stream: reused scores say nothing about the next frame.
  void restart_reuse();
  // End of stream: the waiting frame would explain nothing anyone sees.
  void discard_waiting();
  // Async: blocks until the worker has nothing left to do.
  void wait_until_idle();

  bool failed() const;
  // What a frame waits for its heatmap: in sync mode the estimate of the configured mode's
  // costliest frame (FrameExplainer::estimate_worst_frame_seconds), raised when frames take
  // clearly longer; 0 in async mode. Settings changed later do not re-estimate it.
  std::chrono::nanoseconds latency() const;
  uint64_t explained_frames() const;
  uint64_t dropped_frames() const;
  const Model& model() const { return *model_; }
  // Streams holding this stream's model, itself included: more than 1 when it is shared (ModelPool).
  long model_users() const { return model_.use_count(); }

 private:
  std::shared_ptr<const Heatmap> explain(const ImageView& frame, int64_t timestamp, uint64_t generation,
                                         std::chrono::steady_clock::time_point submitted);
  void rebuild_if_reconfigured();
  // The explainer the settings describe; a warning when they ask for reuse the method cannot do.
  std::unique_ptr<FrameExplainer> make_explainer(const ExplainerSettings& settings);

  StreamEvents events_;

  // The model and its explainer, used by one thread at a time (the caller's in sync mode, the
  // worker's in async mode). Lock order: engine, then state.
  std::mutex engine_lock_;
  std::shared_ptr<Model> model_;  // perhaps shared with other streams (ModelPool)
  std::unique_ptr<FrameExplainer> explainer_;
  uint64_t explainer_revision_ = 0;

  mutable std::mutex state_lock_;
  ExplainerSettings settings_;
  uint64_t settings_revision_ = 0;
  uint64_t generation_ = 0;     // bumped by flush(): work begun before it is discarded
  bool restart_reuse_ = false;  // the explainer forgets its reused scores before the next frame
  bool failed_ = false;
  bool warned_invalid_ = false;  // non-finite model outputs are reported once per stream
  bool warned_over_budget_ = false;  // so are frames over the frame budget
  std::shared_ptr<const Heatmap> latest_;
  std::chrono::nanoseconds latency_{0};
  uint64_t explained_frames_ = 0;

  std::unique_ptr<NewestFrameWorker> worker_;  // async only; last, so it stops first
};

}  // namespace scorecam
