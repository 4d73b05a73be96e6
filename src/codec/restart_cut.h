#pragma once
// Entropy decoding only where a crop is. A restart marker resets the DC predictors, so every
// restart interval of a baseline stream decodes on its own: the intervals that overlap a crop,
// renumbered and framed by the source's own tables and a frame header of the smaller size, are a
// valid JPEG of just that region. Streams whose intervals tile MCU rows qualify (an interval is k
// MCUs of one row, k dividing the row, or k whole rows); `fastimg write --restart-interval`
// writes such streams (restart_interval_for chooses k).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "codec/image.h"

namespace fastimg::codec {

struct RestartCutScratch {
  std::vector<uint8_t> stream;          // the region's JPEG
  std::vector<uint32_t> begins, ends;   // entropy byte ranges of the source's intervals
};

// The region's origin in the source image (a multiple of the MCU size).
struct RestartCut {
  int x = 0, y = 0;
  int width = 0, height = 0;
  // The region's rows end inside their last interval (cut with end_at_crop): every row's last
  // interval has fewer MCUs than the restart interval, and the bytes of the MCUs past the crop
  // follow until its marker. Only BaselineHuffmanDecoder::set_rows_end_mid_interval reads that;
  // libjpeg's decoder would misread it.
  bool rows_end_mid_interval = false;
};

// Builds scratch.stream for the intervals overlapping `crop`; nullopt (nothing to gain or not
// possible) when the stream has no restart markers, its intervals do not tile MCU rows, it is not
// one baseline scan, the crop is outside the image, or the region would start at the image's
// top-left corner and span its full width (the ordinary decode stops after the crop anyway).
// end_at_crop: the region ends at the crop's right MCU edge, not at its interval's (the MCUs past
// it are then never entropy-decoded); see RestartCut::rows_end_mid_interval.
std::optional<RestartCut> cut_to_restart_intervals(std::span<const uint8_t> jpeg, Rect crop, RestartCutScratch& scratch,
                                                   bool end_at_crop = false);

struct JpegHeader;
// Intervals that tile MCU rows: k MCUs of one row with k dividing the row, or k whole rows.
// Sets the interval grid (intervals across a row, MCU rows per interval); false otherwise.
bool restart_grid(const JpegHeader& header, int64_t& per_row, int64_t& rows_per);

// Restart interval in MCUs for an image `mcus_per_row` MCUs wide: the largest divisor of the row
// that is at most `target` (so that intervals tile rows), or the whole row when every divisor is
// below target / 2 (a prime width would otherwise give one marker per MCU).
int restart_interval_for(int mcus_per_row, int target);

}  // namespace fastimg::codec
