// Interval ranges come from a byte search for RSTn markers (stuffed 0xFF00 bytes are skipped), up
// to the last interval the crop needs; nothing is decoded.
#include "codec/restart_cut.h"

#include <algorithm>
#include <cstring>

#include "codec/jpeg_header.h"

namespace fastimg::codec {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The source's interval byte ranges [begins[i], ends[i]) for i = 0..last; false if it has fewer.
bool find_intervals(std::span<const uint8_t> jpeg, size_t scan_start, int64_t last, RestartCutScratch& s) {
  const uint8_t* base = jpeg.data();
  const size_t n = jpeg.size();
  s.begins.clear();
  s.ends.clear();
  s.begins.push_back(static_cast<uint32_t>(scan_start));
  size_t pos = scan_start;
  while (static_cast<int64_t>(s.ends.size()) <= last) {
    const auto* p = static_cast<const uint8_t*>(std::memchr(base + pos, 0xFF, n - pos));
    if (p == nullptr) return false;
    const size_t at = static_cast<size_t>(p - base);
    size_t q = at + 1;
    while (q < n && base[q] == 0xFF) ++q;
    if (q >= n) return false;
    const uint8_t m = base[q];
    pos = q + 1;
    if (m == 0x00) continue;  // a stuffed 0xFF data byte
    s.ends.push_back(static_cast<uint32_t>(at));
    if (m < 0xD0 || m > 0xD7) break;  // EOI or another marker: no more intervals
    s.begins.push_back(static_cast<uint32_t>(pos));
  }
  return static_cast<int64_t>(s.ends.size()) > last;
}

}  // namespace

bool restart_grid(const JpegHeader& h, int64_t& per_row, int64_t& rows_per) {
  const int64_t k = h.restart_interval, mcus_x = ceil_div(h.width, mcu_width(h));
  if (k <= 0 || mcus_x <= 0) return false;
  per_row = mcus_x % k == 0 ? mcus_x / k : 1;
  rows_per = mcus_x % k != 0 && k % mcus_x == 0 ? k / mcus_x : 1;
  return mcus_x % k == 0 || k % mcus_x == 0;
}

std::optional<RestartCut> cut_to_restart_intervals(std::span<const uint8_t> jpeg, Rect crop, RestartCutScratch& s,
                                                   bool end_at_crop) {
  const auto h = parse_jpeg_header(jpeg, /*check_scan=*/false);
  if (!h || h->restart_interval == 0 || h->frame_marker != 0xC0 || h->height == 0) return std::nullopt;
  if (h->scan_components != h->components || h->frame_offset == 0) return std::nullopt;
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > h->width ||
      crop.y + crop.height > h->height)
    return std::nullopt;
  const int64_t mcu_w = mcu_width(*h), mcu_h = mcu_height(*h);
  const int64_t mcus_x = ceil_div(h->width, mcu_w);
  // The interval grid: per_row intervals across, each interval_w x interval_h pixels.
  int64_t per_row = 1, rows_per = 1;
  if (!restart_grid(*h, per_row, rows_per)) return std::nullopt;
  const int64_t interval_w = mcus_x / per_row * mcu_w, interval_h = rows_per * mcu_h;
  const int64_t c0 = crop.x / interval_w, c1 = ceil_div(crop.x + crop.width, interval_w);
  const int64_t r0 = crop.y / interval_h, r1 = ceil_div(crop.y + crop.height, interval_h);
  if (r0 == 0 && c0 == 0 && c1 == per_row) return std::nullopt;
  if (!find_intervals(jpeg, h->scan_data_offset, (r1 - 1) * per_row + c1 - 1, s)) return std::nullopt;

  RestartCut cut;
  cut.x = static_cast<int>(c0 * interval_w);
  cut.y = static_cast<int>(r0 * interval_h);
  cut.width = static_cast<int>(std::min<int64_t>(h->width, c1 * interval_w) - cut.x);
  cut.height = static_cast<int>(std::min<int64_t>(h->height, r1 * interval_h) - cut.y);
  if (end_at_crop && per_row > 1) {
    const int64_t right = std::min<int64_t>(h->width, ceil_div(crop.x + crop.width, mcu_w) * mcu_w);
    if (right - cut.x < cut.width) {
      cut.width = static_cast<int>(right - cut.x);
      cut.rows_end_mid_interval = true;
    }
  }
  auto& out = s.stream;
  out.assign(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(h->scan_data_offset));
  out[h->frame_offset + 1] = static_cast<uint8_t>(cut.height >> 8);
  out[h->frame_offset + 2] = static_cast<uint8_t>(cut.height & 0xFF);
  out[h->frame_offset + 3] = static_cast<uint8_t>(cut.width >> 8);
  out[h->frame_offset + 4] = static_cast<uint8_t>(cut.width & 0xFF);
  int next_marker = 0;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c) {
      const auto i = static_cast<size_t>(r * per_row + c);
      if (r != r0 || c != c0) {
        out.push_back(0xFF);
        out.push_back(static_cast<uint8_t>(0xD0 + next_marker));
        next_marker = (next_marker + 1) & 7;
      }
      out.insert(out.end(), jpeg.begin() + s.begins[i], jpeg.begin() + s.ends[i]);
    }
  out.push_back(0xFF);
  out.push_back(0xD9);
  return cut;
}

int restart_interval_for(int mcus_per_row, int target) {
  if (mcus_per_row <= target) return mcus_per_row;
  for (int k = target; k >= 1; --k)
    if (mcus_per_row % k == 0) return 2 * k >= target ? k : mcus_per_row;
  return mcus_per_row;
}

}  // namespace fastimg::codec
