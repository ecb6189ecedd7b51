// scorecamoverlay with bad models and settings: the state change fails, with a message that says
// what to fix, and the element works once the setting is fixed.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "gstscorecammeta.h"
#include "support/element_harness.h"
#include "support/gst_util.h"
#include "support/test_models.h"

namespace scorecam_test {
namespace {

struct StartFailure {
  GstStateChangeReturn result = GST_STATE_CHANGE_SUCCESS;
  std::string message;
  bool resource_settings = false;
};

StartFailure try_start(const Properties& properties) {
  StartFailure failure;
  GstElement* element = make_overlay(properties);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  failure.result = gst_element_set_state(element, GST_STATE_PAUSED);
  if (GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    failure.message = error->message;
    failure.resource_settings = g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
    g_clear_error(&error);
    gst_message_unref(message);
  }
  gst_element_set_state(element, GST_STATE_NULL);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(bus);
  gst_object_unref(element);
  return failure;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void expect_failure(const Properties& properties, const std::string& mentions) {
  const StartFailure failure = try_start(properties);
  EXPECT_EQ(failure.result, GST_STATE_CHANGE_FAILURE);
  EXPECT_TRUE(failure.resource_settings) << failure.message;
  EXPECT_NE(lower(failure.message).find(lower(mentions)), std::string::npos)
      << "message \"" << failure.message << "\" does not mention \"" << mentions << "\"";
}

TEST(BadModel, MissingFile) {
  expect_failure({{"model-location", "/nonexistent/dir/model.pt"}}, "/nonexistent/dir/model.pt");
}

// Set empty by hand where the bundled model is there to default to: the message says so, not
// that there is no bundled model.
TEST(BadModel, EmptyLocation) {
  expect_failure({{"model-location", ""}}, "model-location is empty");
  expect_failure({{"model-location", ""}}, "leave it unset for the bundled model");
}

// A Latin-1 labels file: refused at start, naming the file and the line, where it once became
// "label": "" in every record with GStreamer's warnings at every frame.
TEST(BadModel, LabelsThatAreNotUtf8) {
  TempDir dir;
  std::ofstream(dir.file("labels.txt"), std::ios::binary) << "shirt\nCaf\xE9\nshoe\nbag\nhat\n";
  expect_failure(tiny({{"labels-location", dir.file("labels.txt")}}),
                 "labels file '" + dir.file("labels.txt") + "' is not UTF-8: line 2");
}

TEST(BadModel, NotTorchScript) {
  TempDir dir;
  std::ofstream(dir.file("notes.pt")) << "this is a text file, not a TorchScript archive\n";
  expect_failure({{"model-location", dir.file("notes.pt")}}, dir.file("notes.pt"));
}

TEST(BadModel, TruncatedFile) {
  TempDir dir;
  std::ifstream in(test_model("tiny_rgb.pt"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  std::ofstream(dir.file("truncated.pt"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_failure({{"model-location", dir.file("truncated.pt")}}, dir.file("truncated.pt"));
}

TEST(BadModel, UnknownLayerListsTheValidOnes) {
  expect_failure(tiny({{"target-layer", "no.such.layer"}}), "features.4");
}

TEST(BadModel, CudaOnACpuBuild) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  expect_failure(tiny({{"device", "cuda"}}), "cuda");
}

TEST(BadModel, HalfPrecisionOnTheCpu) { expect_failure(tiny({{"precision", "fp16"}}), "fp16"); }

TEST(BadModel, OutputIsNotClassScores) {
  expect_failure({{"model-location", test_model("flat_output.pt")}}, "flat_output.pt");
}

TEST(BadModel, LayerWithoutSpatialExtent) {
  expect_failure({{"model-location", test_model("tiny_1x1.pt")}, {"target-layer", "features.1"}}, "[1, 4, 1, 1]");
}

TEST(BadModel, TargetClassOutOfRange) { expect_failure(tiny({{"target-class", "5"}}), "target-class"); }

TEST(BadModel, TheElementWorksAfterAFailure) {
  GstElement* element = make_overlay({{"model-location", "/nonexistent.pt"}});
  EXPECT_EQ(gst_element_set_state(element, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(element, GST_STATE_NULL);
  g_object_set(element, "model-location", test_model("tiny_rgb.pt").c_str(), nullptr);
  Harness h(element);
  h.set_caps(caps_for("RGB", 64, 48));
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  ASSERT_NE(out, nullptr);
  EXPECT_NE(gst_buffer_get_scorecam_meta(out), nullptr);
  gst_buffer_unref(out);
}

}  // namespace
}  // namespace scorecam_test
