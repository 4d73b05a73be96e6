#pragma once
// PNG through libpng with fastimg's own error and warning handlers: a problem is a fastimg::Error
// naming the image, and libpng's warnings (ancillary-chunk CRC errors, bad iCCP profiles) never
// reach stderr. Pixels are what OpenCV's IMREAD_COLOR gives: 8-bit RGB, 16-bit reduced to the
// high byte, palette and gray expanded, alpha and transparency dropped, no gamma correction.
#include <cstdint>
#include <span>
#include <string>

#include "codec/image.h"

namespace fastimg::codec {

inline bool is_png(std::span<const uint8_t> b) {
  return b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == '\r' && b[5] == '\n' &&
         b[6] == 0x1A && b[7] == '\n';
}

Image decode_png(std::span<const uint8_t> bytes, const std::string& what);

}  // namespace fastimg::codec
