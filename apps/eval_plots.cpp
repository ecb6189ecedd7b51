#include "eval_plots.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "scorecam/image.h"
#include "scorecam/overlay.h"
#include "scorecam/maps.h"

namespace scorecam::eval {
namespace {

const cv::Scalar kInk(40, 40, 40), kGrid(220, 220, 220), kPaper(255, 255, 255);

// Distinct line colours (BGR), one per method.
cv::Scalar series_colour(std::size_t i) {
  static const cv::Scalar colours[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148}};
  return colours[i % (sizeof colours / sizeof colours[0])];
}

void text(cv::Mat& canvas, const std::string& s, cv::Point at, double scale = 0.45, const cv::Scalar& colour = kInk) {
  cv::putText(canvas, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv::LINE_AA);
}

// The legend goes where the curves are not: at the top for falling ones, at the bottom for rising ones.
cv::Mat panel(const std::string& title, const std::vector<CurveSeries>& series, bool legend_at_bottom) {
  const int width = 460, height = 340, left = 50, right = 20, top = 40, bottom = 50;
  cv::Mat canvas(height, width, CV_8UC3, kPaper);
  const cv::Rect area(left, top, width - left - right, height - top - bottom);
  for (int i = 0; i <= 4; ++i) {
    const int y = area.y + area.height * i / 4, x = area.x + area.width * i / 4;
    cv::line(canvas, {area.x, y}, {area.x + area.width, y}, kGrid);
    cv::line(canvas, {x, area.y}, {x, area.y + area.height}, kGrid);
    char label[16];
    std::snprintf(label, sizeof label, "%.2f", 1.0 - i / 4.0);
    text(canvas, label, {8, y + 4}, 0.4);
    std::snprintf(label, sizeof label, "%d%%", 25 * i);
    text(canvas, label, {x - 12, area.y + area.height + 18}, 0.4);
  }
  cv::rectangle(canvas, area, kInk);
  text(canvas, title, {left, 24}, 0.55);
  text(canvas, "pixels in order of saliency", {left + 90, height - 10}, 0.4);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const auto& p = series[s].probability;
    for (std::size_t i = 1; i < p.size(); ++i) {
      auto point = [&](std::size_t k) {
        return cv::Point(area.x + static_cast<int>(area.width * k / (p.size() - 1)),
                         area.y + static_cast<int>(area.height * (1.0 - std::clamp(p[k], 0.0, 1.0))));
      };
      cv::line(canvas, point(i - 1), point(i), series_colour(s), 2, cv::LINE_AA);
    }
    char legend[64];
    std::snprintf(legend, sizeof legend, "%s  AUC %.3f", series[s].name.c_str(), series[s].area);
    const int row = legend_at_bottom ? static_cast<int>(s) - static_cast<int>(series.size()) : static_cast<int>(s);
    const cv::Point at(area.x + area.width - 170, (legend_at_bottom ? area.y + area.height : area.y + 18) + 18 * row);
    cv::line(canvas, at + cv::Point(-22, -4), at + cv::Point(-4, -4), series_colour(s), 2, cv::LINE_AA);
    text(canvas, legend, at, 0.42);
  }
  return canvas;
}

cv::Mat tile_of(const cv::Mat& image, int size) {
  cv::Mat tile;
  cv::resize(image, tile, {size, size}, 0, 0, cv::INTER_AREA);
  return tile;
}

}  // namespace

cv::Mat plot_curves(const std::vector<CurveSeries>& deletion, const std::vector<CurveSeries>& insertion) {
  cv::Mat both;
  cv::hconcat(panel("Deletion: class probability (lower is better)", deletion, false),
              panel("Insertion: class probability (higher is better)", insertion, true), both);
  return both;
}

cv::Mat map_grid(const std::vector<std::string>& methods, const std::vector<GridRow>& rows, int tile) {
  const int header = 28, footer = 20;
  const int width = tile * static_cast<int>(methods.size() + 1);
  cv::Mat grid(header + static_cast<int>(rows.size()) * (tile + footer), width, CV_8UC3, kPaper);
  text(grid, "image", {8, 19}, 0.5);
  for (std::size_t m = 0; m < methods.size(); ++m) text(grid, methods[m], {tile * static_cast<int>(m + 1) + 8, 19}, 0.5);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const int y = header + static_cast<int>(r) * (tile + footer);
    const cv::Mat base = tile_of(rows[r].image, tile);
    base.copyTo(grid(cv::Rect(0, y, tile, tile)));
    text(grid, rows[r].caption, {4, y + tile + 14}, 0.4);
    for (std::size_t m = 0; m < rows[r].maps.size(); ++m) {
      cv::Mat painted = base.clone();
      ImageView view{painted.data, painted.cols, painted.rows, painted.step[0], PixelLayout::BGR};
      blend_heatmap(view, resize_map(rows[r].maps[m], tile, tile), OverlayOptions{});
      painted.copyTo(grid(cv::Rect(tile * static_cast<int>(m + 1), y, tile, tile)));
      if (m < rows[r].notes.size()) text(grid, rows[r].notes[m], {tile * static_cast<int>(m + 1) + 4, y + tile + 14}, 0.4);
    }
  }
  return grid;
}

}  // namespace scorecam::eval
