// scorecamoverlay's registration and properties: documented, their defaults and ranges, which can
// change while running, and when a change takes effect.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "scorecam/bundled_model.h"
#include "scorecam/device.h"
#include "scorecam/cam_method.h"
#include "scorecam/device.h"
#include "scorecam/enum_names.h"
#include "scorecam/error.h"
#include "scorecam/overlay.h"
#include "scorecam/score_cam.h"
#include "support/element_harness.h"
#include "support/gst_util.h"
#include "support/test_models.h"

namespace scorecam_test {
namespace {

TEST(Element, IsRegisteredWithAnExampleInItsDescription) {
  GstElementFactory* factory = gst_element_factory_find("scorecamoverlay");
  ASSERT_NE(factory, nullptr) << "plugin not found in " SCORECAM_PLUGIN_DIR;
  const char* description = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_DESCRIPTION);
  EXPECT_NE(std::string(description).find("gst-launch-1.0"), std::string::npos);
  gst_object_unref(factory);
}

const std::vector<std::string> kReadyOnly = {"model-location", "config-location", "labels-location", "target-layer",
                                             "device",         "precision",       "async"};
const std::vector<std::string> kPlaying = {"target-class",    "method",          "samples",       "noise-sigma",
                                           "score-mode",      "batch-size",    "max-channels",
                                           "channel-selection", "refresh-interval", "rolling",     "drift-threshold",
                                           "smoothing",       "alpha",           "colormap",      "threshold",
                                           "show-label",      "post-messages"};

TEST(Properties, AreDocumentedWithTheRightMutability) {
  GstElement* element = make_overlay({});
  GObjectClass* klass = G_OBJECT_GET_CLASS(element);
  for (const bool ready : {true, false}) {
    for (const std::string& name : ready ? kReadyOnly : kPlaying) {
      GParamSpec* pspec = g_object_class_find_property(klass, name.c_str());
      ASSERT_NE(pspec, nullptr) << name;
      EXPECT_FALSE(std::string(g_param_spec_get_blurb(pspec)).empty()) << name;
      EXPECT_EQ((pspec->flags & GST_PARAM_MUTABLE_READY) != 0, ready) << name;
      EXPECT_EQ((pspec->flags & GST_PARAM_MUTABLE_PLAYING) != 0, !ready) << name;
    }
  }
  for (const char* name : {"dropped-work", "explained-frames", "model-users", "model-passes", "model-requests"}) {
    GParamSpec* pspec = g_object_class_find_property(klass, name);
    ASSERT_NE(pspec, nullptr) << name;
    EXPECT_FALSE(pspec->flags & G_PARAM_WRITABLE) << name;
  }
  gst_object_unref(element);
}

TEST(Properties, StartAtTheirDefaults) {
  GstElement* element = make_overlay({});
  guint count = 0;
  GParamSpec** pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &count);
  for (guint i = 0; i < count; ++i) {
    if (pspecs[i]->owner_type != G_OBJECT_TYPE(element)) continue;
    GValue value = G_VALUE_INIT;
    g_value_init(&value, pspecs[i]->value_type);
    g_object_get_property(G_OBJECT(element), pspecs[i]->name, &value);
    EXPECT_TRUE(g_param_value_defaults(pspecs[i], &value)) << pspecs[i]->name;
    g_value_unset(&value);
  }
  g_free(pspecs);
  gchar* model = nullptr;
  g_object_get(element, "model-location", &model, nullptr);
  EXPECT_EQ(std::string(model), scorecam::bundled_model_path());
  g_free(model);
  gboolean qos = TRUE;
  g_object_get(element, "qos", &qos, nullptr);
  EXPECT_FALSE(qos);  // the element drops no frame unless asked to
  GParamSpec* precision = g_object_class_find_property(G_OBJECT_GET_CLASS(element), "precision");
  ASSERT_NE(precision, nullptr);
  const gint auto_value = static_cast<gint>(scorecam::Precision::Auto);
  EXPECT_EQ(G_PARAM_SPEC_ENUM(precision)->default_value, auto_value);  // the fastest copy that agrees with fp32
  gst_object_unref(element);
}

TEST(Properties, RoundTrip) {
  const Properties values = {
      {"model-location", "/models/a.pt"}, {"config-location", "/models/a.json"}, {"labels-location", "/models/a.txt"},
      {"target-layer", "layer4"},         {"device", "cuda:1"},                  {"precision", "bf16"},
      {"async", "true"},                  {"target-class", "3"},                 {"score-mode", "logit-softmax"},
      {"method", "iscam"},                {"samples", "4"},                      {"noise-sigma", "0.5"},
      {"batch-size", "7"},                {"max-channels", "12"},                {"channel-selection", "random"},
      {"refresh-interval", "5"},          {"rolling", "true"},                   {"drift-threshold", "0.25"},
      {"smoothing", "0.5"},               {"alpha", "0.75"},                     {"colormap", "magma"},
      {"threshold", "0.2"},               {"show-label", "false"},               {"post-messages", "true"}};
  GstElement* element = make_overlay(values);
  for (const auto& [name, expected] : values) {
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name.c_str());
    GValue value = G_VALUE_INIT;
    g_value_init(&value, pspec->value_type);
    g_object_get_property(G_OBJECT(element), name.c_str(), &value);
    std::string actual;
    if (G_VALUE_HOLDS_STRING(&value)) actual = g_value_get_string(&value);
    else if (G_VALUE_HOLDS_ENUM(&value))
      actual = g_enum_get_value(G_PARAM_SPEC_ENUM(pspec)->enum_class, g_value_get_enum(&value))->value_nick;
    else if (G_VALUE_HOLDS_BOOLEAN(&value)) actual = g_value_get_boolean(&value) ? "true" : "false";
    else if (G_VALUE_HOLDS_INT(&value)) actual = std::to_string(g_value_get_int(&value));
    else if (G_VALUE_HOLDS_DOUBLE(&value)) actual = std::to_string(g_value_get_double(&value));
    if (G_VALUE_HOLDS_DOUBLE(&value)) EXPECT_DOUBLE_EQ(std::stod(actual), std::stod(expected)) << name;
    else EXPECT_EQ(actual, expected) << name;
    g_value_unset(&value);
  }
  gst_object_unref(element);
}

// One enum property against the core's table of names, both ways: each nick is a name the core
// parses, to the nick's value, and each of the core's names is a nick, of the name's value.
template <typename Enum>
void expect_nicks_are_the_core_names(GParamSpec* pspec, const scorecam::EnumNames<Enum>& names) {
  GEnumClass* klass = G_PARAM_SPEC_ENUM(pspec)->enum_class;
  for (guint i = 0; i < klass->n_values; ++i) {
    const GEnumValue& nick = klass->values[i];
    try {
      EXPECT_EQ(static_cast<gint>(scorecam::parse_enum(nick.value_nick, names, pspec->name)), nick.value)
          << pspec->name << " " << nick.value_nick;
    } catch (const scorecam::Error& e) {
      ADD_FAILURE() << pspec->name << ": the nick " << nick.value_nick << " is no name of the core's: " << e.what();
    }
  }
  for (const auto& entry : names) {
    const GEnumValue* nick = g_enum_get_value_by_nick(klass, entry.name);
    if (!nick) {
      ADD_FAILURE() << pspec->name << ": the core's name " << entry.name << " is no nick";
      continue;
    }
    EXPECT_EQ(nick->value, static_cast<gint>(entry.value)) << pspec->name << " " << entry.name;
  }
}

TEST(Properties, EveryEnumHasTheCoreNamesAsNicksBothWays) {
  using Check = void (*)(GParamSpec*);
  const std::map<std::string, Check> checks = {
      {"method", [](GParamSpec* p) { expect_nicks_are_the_core_names(p, scorecam::method_names()); }},
      {"score-mode", [](GParamSpec* p) { expect_nicks_are_the_core_names(p, scorecam::score_mode_names()); }},
      {"channel-selection",
       [](GParamSpec* p) { expect_nicks_are_the_core_names(p, scorecam::channel_selection_names()); }},
      {"precision", [](GParamSpec* p) { expect_nicks_are_the_core_names(p, scorecam::precision_names()); }},
      {"colormap", [](GParamSpec* p) { expect_nicks_are_the_core_names(p, scorecam::colormap_names()); }}};
  GstElement* element = make_overlay({});
  guint count = 0;
  GParamSpec** pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &count);
  std::set<std::string> checked;
  for (guint i = 0; i < count; ++i) {
    if (!G_IS_PARAM_SPEC_ENUM(pspecs[i])) continue;
    const auto check = checks.find(pspecs[i]->name);
    if (check == checks.end()) {
      ADD_FAILURE() << "the enum property " << pspecs[i]->name << " is not checked against a core table";
      continue;
    }
    check->second(pspecs[i]);
    checked.insert(check->first);
  }
  g_free(pspecs);
  EXPECT_EQ(checked.size(), checks.size()) << "an enum property named here is missing or no longer an enum";
  gst_object_unref(element);
}

TEST(Properties, RejectValuesOutOfRange) {
  struct Range {
    const char* name;
    double min, max;
  };
  const std::vector<Range> ranges = {{"target-class", -1, G_MAXINT}, {"batch-size", 1, 4096},
                                     {"max-channels", 0, G_MAXINT},  {"refresh-interval", 1, 100000},
                                     {"drift-threshold", 0, 100},    {"smoothing", 0, 0.99},
                                     {"alpha", 0, 1},                {"threshold", 0, 1},
                                     {"samples", 0, 10000},          {"noise-sigma", 0, 100}};
  GstElement* element = make_overlay({});
  for (const Range& range : ranges) {
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), range.name);
    ASSERT_NE(pspec, nullptr) << range.name;
    if (G_IS_PARAM_SPEC_INT(pspec)) {
      EXPECT_EQ(G_PARAM_SPEC_INT(pspec)->minimum, range.min) << range.name;
      EXPECT_EQ(G_PARAM_SPEC_INT(pspec)->maximum, range.max) << range.name;
    } else {
      EXPECT_DOUBLE_EQ(G_PARAM_SPEC_DOUBLE(pspec)->minimum, range.min) << range.name;
      EXPECT_DOUBLE_EQ(G_PARAM_SPEC_DOUBLE(pspec)->maximum, range.max) << range.name;
    }
  }
  WarningCapture capture;
  g_object_set(element, "alpha", 1.5, "batch-size", 0, nullptr);
  EXPECT_EQ(capture.warnings().size(), 2u);
  gdouble alpha = 0;
  gint batch_size = 0;
  g_object_get(element, "alpha", &alpha, "batch-size", &batch_size, nullptr);
  EXPECT_DOUBLE_EQ(alpha, 0.5);
  EXPECT_EQ(batch_size, 32);
  gst_object_unref(element);
}

TEST(Properties, ModelSettingsAreFrozenWhileRunning) {
  Harness h(make_overlay(tiny()));
  const auto setting = [&](const char* name) {
    gchar* value = nullptr;
    g_object_get(h.element(), name, &value, nullptr);
    const std::string text = value ? value : "";
    g_free(value);
    return text;
  };
  const std::string device = setting("device");
  ASSERT_NE(device, "cuda");
  {
    WarningCapture capture;
    g_object_set(h.element(), "model-location", "/elsewhere.pt", "device", "cuda", nullptr);
    EXPECT_EQ(capture.warnings().size(), 2u);
  }
  EXPECT_EQ(setting("model-location"), test_model("tiny_rgb.pt"));
  EXPECT_EQ(setting("device"), device);
}

TEST(Properties, ExplainerSettingsApplyFromTheNextFrame) {
  Harness h(make_overlay(tiny({{"show-label", "false"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  const int predicted = roi_classification(out, 64, 48).class_id;
  gst_buffer_unref(out);
  const int other = (predicted + 1) % 5;

  g_object_set(h.element(), "target-class", other, "max-channels", 4, "score-mode", 1, nullptr);
  out = h.push_pull(make_frame("RGB", 64, 48, 0));
  EXPECT_EQ(gst_buffer_get_scorecam_meta(out)->class_id, other);
  EXPECT_EQ(roi_classification(out, 64, 48).class_id, predicted);  // the classification is still the prediction
  gst_buffer_unref(out);

  // Out of range for this model: a warning, and the predicted class is explained.
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  g_object_set(h.element(), "target-class", 9, nullptr);
  out = h.push_pull(make_frame("RGB", 64, 48, 0));
  EXPECT_EQ(gst_buffer_get_scorecam_meta(out)->class_id, predicted);
  GstMessage* warning = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  EXPECT_NE(warning, nullptr);
  if (warning) gst_message_unref(warning);
  gst_buffer_unref(out);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);

  // Blending settings too: alpha 0 and no label leave the frame alone.
  g_object_set(h.element(), "alpha", 0.0, nullptr);
  GstBuffer* in = make_frame("RGB", 64, 48, 1);
  GstBuffer* original = gst_buffer_copy_deep(in);
  out = h.push_pull(in);
  EXPECT_EQ(max_difference(out, original), 0);
  gst_buffer_unref(original);
  gst_buffer_unref(out);
}

// A gradient method explains every frame in full: with reuse asked for, a warning says it does not
// apply, and every frame still gets its map.
TEST(Properties, AGradientMethodWarnsThatReuseDoesNotApply) {
  Harness h(make_overlay(tiny({{"method", "gradcampp"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  gst_buffer_unref(h.push_pull(make_frame("RGB", 64, 48, 0)));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  g_object_set(h.element(), "refresh-interval", 4, "rolling", TRUE, nullptr);
  for (int i = 1; i < 4; ++i) {
    GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, i));
    EXPECT_NE(gst_buffer_get_scorecam_meta(out), nullptr) << i;
    gst_buffer_unref(out);
  }
  GstMessage* warning = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  ASSERT_NE(warning, nullptr);
  GError* error = nullptr;
  gst_message_parse_warning(warning, &error, nullptr);
  EXPECT_NE(std::string(error->message).find("gradcampp has no channel scores to reuse"), std::string::npos)
      << error->message;
  g_clear_error(&error);
  gst_message_unref(warning);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);
}

}  // namespace
}  // namespace scorecam_test
