#include "utf8_text.h"

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include "scorecam/error.h"

namespace scorecam::detail {
namespace {

// The length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t sequence_length(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

struct Position {
  std::size_t line, column;  // from 1; the column counts bytes
  unsigned char byte;
};

std::optional<Position> first_invalid(const std::string& text) {
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = sequence_length(text, i);
    if (length == 0) return Position{line, i - line_start + 1, static_cast<unsigned char>(text[i])};
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

std::string read_utf8_file(const std::string& path, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("cannot open " + what + " '" + path + "'");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (const auto bad = first_invalid(text)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", bad->byte);
    throw Error(what + " '" + path + "' is not UTF-8: line " + std::to_string(bad->line) + ", byte " +
                std::to_string(bad->column) + " (" + byte + "); save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)");
  }
  return text;
}

}  // namespace scorecam::detail
