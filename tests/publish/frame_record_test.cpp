#include "scorecam/publish/frame_record.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using scorecam::publish::ByteMap;
using scorecam::publish::downsample_map;
using scorecam::publish::Explanation;
using scorecam::publish::FrameRecord;
using scorecam::publish::to_json_line;

namespace {

TEST(FrameRecord, AnExplainedFrameHasEveryField) {
  FrameRecord record{"stream-1", 7, 0.25, Explanation{true, 3, "Dress", 0.5, 3, 0.125, ByteMap{2, 1, {0, 255}}}};
  const std::string line = to_json_line(record);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["stream"], "stream-1");
  EXPECT_EQ(json["frame"], 7);
  EXPECT_EQ(json["pts"], 0.25);
  EXPECT_EQ(json["explained"], true);
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["class_id"], 3);
  EXPECT_EQ(json["label"], "Dress");
  EXPECT_EQ(json["confidence"], 0.5);
  EXPECT_EQ(json["target_class"], 3);
  EXPECT_EQ(json["source_pts"], 0.125);
  EXPECT_EQ(json["map"]["width"], 2);
  EXPECT_EQ(json["map"]["height"], 1);
  EXPECT_EQ(json["map"]["values"], nlohmann::json::array({0, 255}));
}

TEST(FrameRecord, AFrameWithoutAResultSaysSo) {
  const auto json = nlohmann::json::parse(to_json_line(FrameRecord{"s", 0, std::nullopt, std::nullopt}));
  EXPECT_EQ(json["explained"], false);
  EXPECT_TRUE(json["pts"].is_null());
  EXPECT_FALSE(json.contains("class_id"));
}

TEST(FrameRecord, AnInvalidOutputHasNoConfidence) {
  Explanation invalid;
  invalid.valid = false;
  const auto json = nlohmann::json::parse(to_json_line(FrameRecord{"s", 0, 0.0, invalid}));
  EXPECT_EQ(json["valid"], false);
  EXPECT_EQ(json["class_id"], -1);
  EXPECT_TRUE(json["confidence"].is_null());
  EXPECT_FALSE(json.contains("map"));
}

// What only some writers know (the stream's events, the bus message's cost, the camera's
// connection) is left out when it is not set, and written where it is, in the one schema.
TEST(FrameRecord, OptionalFieldsAreLeftOutUnlessSet) {
  Explanation e{true, 3, "Dress", 0.5, 3, 0.125, std::nullopt};
  const auto plain = nlohmann::json::parse(to_json_line(FrameRecord{std::nullopt, 2, 0.25, e}));
  for (const char* field : {"stream", "connection", "refreshed", "forward_passes", "map"})
    EXPECT_FALSE(plain.contains(field)) << field;

  e.refreshed = false;
  e.forward_passes = 129;
  FrameRecord record{std::nullopt, 2, 0.25, e};
  record.connection = 4;
  const std::string line = to_json_line(record);
  const auto json = nlohmann::json::parse(line);
  EXPECT_FALSE(json.contains("stream"));
  EXPECT_EQ(json["connection"], 4);
  EXPECT_EQ(json["refreshed"], false);
  EXPECT_EQ(json["forward_passes"], 129);
  // The order is the schema's, for readers of the raw lines.
  const auto in_order = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (const auto& item : in_order.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"connection", "frame", "pts", "explained", "valid", "class_id", "label",
                                            "confidence", "target_class", "source_pts", "refreshed",
                                            "forward_passes"}));
}

TEST(DownsampleMap, TheLongerSideIsBroughtToTheLimitAndCellsAreMeans) {
  // 4 x 2: left half 0, right half 1.
  const std::vector<float> values{0, 0, 1, 1, 0, 0, 1, 1};
  const ByteMap map = downsample_map(values.data(), 4, 2, 2);
  EXPECT_EQ(map.width, 2);
  EXPECT_EQ(map.height, 1);
  EXPECT_EQ(map.values, (std::vector<uint8_t>{0, 255}));
}

TEST(DownsampleMap, NonSquareSizesRoundAndNeverVanish) {
  const std::vector<float> values(40 * 32, 0.5f);
  const ByteMap map = downsample_map(values.data(), 40, 32, 8);
  EXPECT_EQ(map.width, 8);
  EXPECT_EQ(map.height, 6);  // 32 * 8 / 40 = 6.4
  ASSERT_EQ(map.values.size(), 48u);
  for (uint8_t v : map.values) EXPECT_EQ(v, 128);
  const std::vector<float> thin(100, 1.0f);
  const ByteMap line = downsample_map(thin.data(), 100, 1, 10);
  EXPECT_EQ(line.width, 10);
  EXPECT_EQ(line.height, 1);
}

TEST(DownsampleMap, ASmallMapKeepsItsSizeAndValuesAreClamped) {
  const std::vector<float> values{-1.0f, 0.0f, 0.5f, 2.0f};
  const ByteMap map = downsample_map(values.data(), 2, 2, 64);
  EXPECT_EQ(map.width, 2);
  EXPECT_EQ(map.height, 2);
  EXPECT_EQ(map.values, (std::vector<uint8_t>{0, 0, 128, 255}));
}

}  // namespace
