// scorecamoverlay's properties: their ids, the settings they set (grouped by what a change to them
// needs), their defaults (the core's own) and their GParamSpecs. The element's C++ side keeps a
// Settings and reads it; this file says what each property is.
#pragma once

#include <cstdint>
#include <string>

#include <glib-object.h>

#include "scorecam/bundled_model.h"
#include "scorecam/device.h"
#include "scorecam/model.h"
#include "scorecam/overlay.h"
#include "scorecam/stream_explainer.h"

namespace scorecam_gst {

enum OverlayProperty : guint {
  PROP_0,
  PROP_MODEL_LOCATION,
  PROP_CONFIG_LOCATION,
  PROP_LABELS_LOCATION,
  PROP_TARGET_LAYER,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_ASYNC,
  PROP_SHARE_MODEL,
  PROP_TARGET_CLASS,
  PROP_METHOD,
  PROP_SAMPLES,
  PROP_NOISE_SIGMA,
  PROP_SCORE_MODE,
  PROP_BATCH_SIZE,
  PROP_MAX_CHANNELS,
  PROP_CHANNEL_SELECTION,
  PROP_REFRESH_INTERVAL,
  PROP_ROLLING,
  PROP_DRIFT_THRESHOLD,
  PROP_SMOOTHING,
  PROP_FRAME_BUDGET_MS,
  PROP_ALPHA,
  PROP_COLORMAP,
  PROP_THRESHOLD,
  PROP_SHOW_LABEL,
  PROP_POST_MESSAGES,
  PROP_DROPPED_WORK,      // read-only counters: the running stream's, not settings
  PROP_EXPLAINED_FRAMES,
  PROP_MODEL_USERS,
  PROP_PARALLEL_PASSES,
  PROP_MODEL_PASSES,  // read-only counters of the loaded model
  PROP_MODEL_REQUESTS,
};

// Read by start(): changing them needs the READY state. The defaults are the core's own.
struct ModelSettings {
  std::string model_location = scorecam::bundled_model_path();
  std::string config_location;
  std::string labels_location;
  std::string target_layer;
  std::string device = scorecam::ModelOptions{}.device;
  scorecam::Precision precision = scorecam::kUserDefaultPrecision;
  bool async = false;
  bool share_model = true;
  int parallel_passes = scorecam::ModelOptions{}.parallel_passes;
};

// Read on every frame.
struct DrawSettings {
  scorecam::OverlayOptions overlay;
  bool show_label = true;
  bool post_messages = false;

  bool draws_the_same(const DrawSettings& other) const {
    return overlay.colormap == other.overlay.colormap && overlay.alpha == other.overlay.alpha &&
           overlay.threshold == other.overlay.threshold && show_label == other.show_label;
  }
};

struct Settings {
  ModelSettings model;
  scorecam::ExplainerSettings explainer;  // a change rebuilds the explainer before the next frame
  uint64_t explainer_revision = 0;        // counts those changes
  DrawSettings draw;
};

// False for an id that is not a setting (the counters, an unknown id). A change to an explainer
// setting counts in explainer_revision.
bool set_setting(Settings& settings, guint id, const GValue* value);
bool get_setting(const Settings& settings, guint id, GValue* value);

// Every property of the element, and its enum types marked as plugin API (documented with it).
void install_properties(GObjectClass* klass);

}  // namespace scorecam_gst
