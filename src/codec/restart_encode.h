#pragma once
// Writing JPEGs with restart markers every few MCUs, laid out so that the intervals tile MCU rows
// (restart_interval_for): what the loader's interval-skipping crop decode (restart_cut.h) needs.
// The streams stay standard baseline JPEG; every decoder reads them.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codec/image.h"

namespace fastimg::codec {

// encode_jpeg's stream (baseline 4:2:0, the same quantisation tables) with a restart marker about
// every `restart_target` MCUs.
std::vector<uint8_t> encode_jpeg_with_restarts(const ImageView& image, int quality, int restart_target);

// True when `jpeg` already has restart intervals that tile its MCU rows.
bool has_row_tiling_restarts(std::span<const uint8_t> jpeg);

// The same coefficients re-wrapped with restart markers (lossless: no decode to pixels, no
// re-quantisation). Throws fastimg::Error("<what>: <problem>") for a stream libjpeg cannot read.
std::vector<uint8_t> add_restart_markers(std::span<const uint8_t> jpeg, int restart_target, const std::string& what);

}  // namespace fastimg::codec
