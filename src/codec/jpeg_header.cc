// A marker walk from SOI to the first scan, then a byte search through the scan for the markers
// that may legally sit inside it (stuffed 0xFF00, restarts RST0-7, fill bytes) until EOI.
#include "codec/jpeg_header.h"

#include <algorithm>
#include <cstring>

namespace fastimg::codec {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

bool is_frame_marker(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }
bool is_restart_marker(uint8_t m) { return m >= 0xD0 && m <= 0xD7; }

void read_segment(uint8_t marker, const uint8_t* d, size_t n, JpegHeader& h, bool& have_frame) {
  if (is_frame_marker(marker) && n >= 6) {
    h.frame_marker = marker;
    h.max_h = h.max_v = 1;
    h.precision = d[0];
    h.height = be16(d + 1);
    h.width = be16(d + 3);
    h.components = d[5];
    for (int c = 0; c < h.components && 8 + 3 * static_cast<size_t>(c) < n; ++c) {
      if (c < 4) h.component_ids[c] = d[6 + 3 * c];
      h.max_h = std::max(h.max_h, d[7 + 3 * c] >> 4);
      h.max_v = std::max(h.max_v, d[7 + 3 * c] & 15);
    }
    have_frame = n >= 6 + 3 * static_cast<size_t>(h.components);
  } else if (marker == 0xDD && n >= 2) {
    h.restart_interval = be16(d);
  } else if (marker == 0xE0 && n >= 5 && std::memcmp(d, "JFIF\0", 5) == 0) {
    h.jfif = true;
  } else if (marker == 0xEE && n >= 12 && std::memcmp(d, "Adobe", 5) == 0) {
    h.adobe_transform = d[11];
  }
}

// From the first byte after the scan header: ends at EOI (a clean single scan), at any other
// marker (another scan, tables, DNL), or at the end of the data (truncated).
void walk_scan(const uint8_t* p, const uint8_t* end, JpegHeader& h) {
  while (p < end) {
    p = static_cast<const uint8_t*>(std::memchr(p, 0xFF, static_cast<size_t>(end - p)));
    if (p == nullptr) break;
    while (p < end && *p == 0xFF) ++p;  // 0xFF fill bytes before a marker
    if (p == end) break;
    const uint8_t m = *p++;
    if (m == 0x00 || is_restart_marker(m)) continue;
    h.single_scan_to_eoi = m == 0xD9;
    return;
  }
  h.truncated = true;
}

}  // namespace

std::optional<JpegHeader> parse_jpeg_header(std::span<const uint8_t> bytes, bool check_scan) {
  const uint8_t* p = bytes.data();
  const uint8_t* end = p + bytes.size();
  if (bytes.size() < 4 || p[0] != 0xFF || p[1] != 0xD8) return std::nullopt;
  JpegHeader h;
  bool have_frame = false;
  p += 2;
  while (p < end) {
    if (*p != 0xFF) return std::nullopt;  // garbage between segments
    while (p < end && *p == 0xFF) ++p;
    if (p == end) return std::nullopt;
    const uint8_t marker = *p++;
    if (marker == 0x01 || is_restart_marker(marker)) continue;  // no length field
    if (marker == 0xD9 || end - p < 2) return std::nullopt;    // EOI before any scan, or cut
    const size_t length = be16(p);
    if (length < 2 || static_cast<size_t>(end - p) < length) return std::nullopt;
    const uint8_t* data = p + 2;
    const size_t n = length - 2;
    p += length;
    if (marker == 0xDA) {
      if (!have_frame || n < 1) return std::nullopt;
      h.scan_components = data[0];
      h.scan_data_offset = static_cast<size_t>(p - bytes.data());
      if (check_scan) walk_scan(p, end, h);
      return h;
    }
    if (is_frame_marker(marker)) h.frame_offset = static_cast<size_t>(data - bytes.data());
    read_segment(marker, data, n, h, have_frame);
  }
  return std::nullopt;
}

std::string passthrough_obstacle(const std::optional<JpegHeader>& header) {
  if (!header) return "damaged or incomplete JPEG markers";
  const JpegHeader& h = *header;
  if (h.frame_marker == 0xC2) return "progressive JPEG";
  if (h.frame_marker != 0xC0) return "not a baseline JPEG";
  if (h.precision != 8) return "not 8-bit";
  if (h.components == 1) return "grayscale";
  if (h.components == 4) return "CMYK/YCCK";
  if (h.components != 3) return "not 3 components";
  // libjpeg's rules for 3 components: an Adobe transform of 0, or no JFIF/Adobe marker and ids
  // 'R','G','B', mean RGB stored as is, which nvJPEG would read as YCbCr.
  const bool rgb_ids = h.component_ids[0] == 'R' && h.component_ids[1] == 'G' && h.component_ids[2] == 'B';
  if (h.adobe_transform == 0 || (!h.jfif && h.adobe_transform < 0 && rgb_ids)) return "RGB without colour transform";
  if (h.height == 0 || h.width == 0) return "size not in the frame header";
  if (h.truncated) return "truncated";
  if (h.scan_components != 3 || !h.single_scan_to_eoi) return "not one interleaved scan";
  return "";
}

}  // namespace fastimg::codec
