#pragma once
// What a JPEG's markers say before any entropy decoding: the frame type, size, components,
// restart interval, and whether the stream is one complete interleaved baseline scan. The writer
// uses it to store a source JPEG as its own bytes when every decoder we run (libjpeg-turbo's
// crop decode, nvJPEG's hardware path, FFCV's OpenCV) reads it the same way as a re-encoded one.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace fastimg::codec {

struct JpegHeader {
  int width = 0, height = 0;
  int components = 0;
  int precision = 0;
  uint8_t frame_marker = 0;       // 0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...
  int restart_interval = 0;       // MCUs between restart markers (DRI); 0 = none
  int adobe_transform = -1;       // APP14 "Adobe" colour transform; -1 = no such marker
  bool jfif = false;              // APP0 "JFIF"
  uint8_t component_ids[4] = {};
  int max_h = 1, max_v = 1;       // largest sampling factors: an MCU is 8*max_h x 8*max_v pixels
  size_t frame_offset = 0;        // of the frame header's first byte (precision) in the stream
  size_t scan_data_offset = 0;    // of the first entropy-coded byte of the first scan
  int scan_components = 0;        // components in the first scan
  bool single_scan_to_eoi = false;  // after the first scan, only restart markers and then EOI
  bool truncated = false;           // the data ends inside the first scan (no EOI)
};

// nullopt when the bytes are not a JPEG or its marker structure is damaged (truncated segment,
// no frame before the scan, no scan). With check_scan, the entropy-coded data is then searched for
// markers (a fast byte search, no decoding) to fill single_scan_to_eoi and truncated.
std::optional<JpegHeader> parse_jpeg_header(std::span<const uint8_t> bytes, bool check_scan = true);

// Pixels of one MCU (minimum coded unit) of a single-scan stream: 8x8 for one component.
inline int mcu_width(const JpegHeader& h) { return h.scan_components == 1 ? 8 : 8 * h.max_h; }
inline int mcu_height(const JpegHeader& h) { return h.scan_components == 1 ? 8 : 8 * h.max_v; }

// Empty when a stream can be stored as it is: baseline (SOF0), 8-bit, three YCbCr components in
// one interleaved scan that runs to EOI, its height in the frame header. Otherwise the reason it must be re-encoded ("progressive", "grayscale", "CMYK", "truncated", ...).
std::string passthrough_obstacle(const std::optional<JpegHeader>& header);

}  // namespace fastimg::codec
