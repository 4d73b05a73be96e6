// Restart-interval cuts: the cut stream is the region's own JPEG, and a crop decoded through it
// equals the whole-stream decode + crop + resize within the crop decoder's tolerance, for crops
// touching every edge, 4:2:0 / 4:2:2 / 4:4:4 and grayscale files; the writer's encoders produce
// streams it can cut, losslessly for passed-through files.
#include "codec/restart_cut.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "codec/crop_resize.h"
#include "codec/jpeg_decoder.h"
#include "codec/jpeg_header.h"
#include "codec/restart_encode.h"
#include "codec/restart_streams.h"
#include "codec/test_images.h"
#include "test_support.h"

namespace fastimg::codec {
namespace {

using fastimg::testing::JpegSpec;
using fastimg::testing::every_eighth_sample;
using fastimg::testing::restart_streams;

double mean_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return fastimg::testing::mean_abs_diff(a.data(), b.data(), a.size());
}

TEST(RestartCut, IntervalChoiceTilesTheMcuRow) {
  EXPECT_EQ(restart_interval_for(32, 4), 4);
  EXPECT_EQ(restart_interval_for(21, 4), 3);
  EXPECT_EQ(restart_interval_for(23, 4), 23);  // prime: one interval per row, not one per MCU
  EXPECT_EQ(restart_interval_for(3, 4), 3);
  EXPECT_EQ(restart_interval_for(26, 8), 26);  // 2 < 8 / 2
}

TEST(RestartCut, LosslessRewrapKeepsEveryPixel) {
  JpegDecoder a, b;
  size_t source_bytes = 0, wrapped_bytes = 0;
  for (const auto& path : every_eighth_sample()) {
    auto source = fastimg::testing::read_bytes(path.string());
    if (!passthrough_obstacle(parse_jpeg_header(source)).empty()) continue;
    auto wrapped = add_restart_markers(source, 4, path.string());
    source_bytes += source.size();
    wrapped_bytes += wrapped.size();
    EXPECT_TRUE(has_row_tiling_restarts(wrapped)) << path;
    EXPECT_FALSE(has_row_tiling_restarts(source)) << path;
    EXPECT_EQ(passthrough_obstacle(parse_jpeg_header(wrapped)), "") << path;
    ImageView x = a.decode_full(source), y = b.decode_full(wrapped);
    ASSERT_EQ(x.width, y.width);
    ASSERT_EQ(x.height, y.height);
    EXPECT_TRUE(std::equal(x.data, x.data + x.stride * x.height, y.data)) << path;
  }
  // The markers and the standard DC tables cost 2 %; the standard AC tables would make it 6 %.
  EXPECT_LT(static_cast<double>(wrapped_bytes), 1.04 * static_cast<double>(source_bytes));
}

TEST(RestartCut, TheCutStreamIsTheRegionsOwnJpeg) {
  JpegDecoder whole, part;
  RestartCutScratch scratch;
  int exact = 0;
  for (const auto& [name, jpeg] : restart_streams()) {
    const auto h = *parse_jpeg_header(jpeg);
    const Rect crop{h.width / 3 + 5, h.height / 2 + 3, h.width / 4, h.height / 5};
    const auto cut = cut_to_restart_intervals(jpeg, crop, scratch);
    ASSERT_TRUE(cut.has_value()) << name;
    EXPECT_LE(cut->x, crop.x);
    EXPECT_LE(cut->y, crop.y);
    EXPECT_GE(cut->x + cut->width, crop.x + crop.width);
    EXPECT_GE(cut->y + cut->height, crop.y + crop.height);
    EXPECT_LT(static_cast<int64_t>(cut->width) * cut->height, static_cast<int64_t>(h.width) * h.height) << name;
    const ImageView full = whole.decode_full(jpeg);
    const ImageView region = part.decode_full(scratch.stream, name);
    ASSERT_EQ(region.width, cut->width) << name;
    ASSERT_EQ(region.height, cut->height) << name;
    // Without chroma subsampling nothing crosses an interval edge: the pixels are identical.
    // Subsampled chroma is upsampled from neighbours, which differ at the region's edges only.
    double sum = 0;
    for (int y = 0; y < region.height; ++y)
      for (int x = 0; x < region.width * 3; ++x)
        sum += std::abs(int(region.data[y * region.stride + x]) -
                        int(full.data[(cut->y + y) * full.stride + cut->x * 3 + x]));
    const double mean = sum / (region.width * region.height * 3.0);
    const bool subsampled = h.components == 3 && (h.max_h > 1 || h.max_v > 1);
    if (!subsampled) {
      EXPECT_EQ(mean, 0.0) << name;
    }
    EXPECT_LT(mean, 0.5) << name;
    exact += !subsampled;
  }
  EXPECT_GT(exact, 0);
}

TEST(RestartCut, CropDecodeThroughTheCutEqualsTheWholeDecodeWithinTolerance) {
  JpegDecoder cutting, reference;
  reference.set_restart_cut(false);
  double total = 0;
  int checked = 0;
  for (const auto& [name, jpeg] : restart_streams()) {
    const auto h = *parse_jpeg_header(jpeg);
    const int W = h.width, H = h.height;
    const std::vector<Rect> crops = {{0, 0, W, H},
                                     {0, 0, W / 2 + 1, H / 3 + 1},
                                     {W - W / 3 - 1, 0, W / 3 + 1, H / 2},
                                     {W - W / 3 - 1, H - H / 2 - 1, W / 3 + 1, H / 2 + 1},
                                     {0, H / 4, W * 3 / 5, H * 3 / 4},
                                     {W / 3, H / 3, W / 3, H / 3},
                                     {W / 5, H - 40, 30, 40}};
    for (const Rect& c : crops)
      for (auto [ow, oh] : {std::pair{160, 160}, std::pair{64, 48}}) {
        std::vector<uint8_t> a(static_cast<size_t>(ow) * oh * 3), b(a.size());
        cutting.decode_crop_resize(jpeg, c, ow, oh, true, a.data(), ow * 3, name);
        reference.decode_crop_resize(jpeg, c, ow, oh, true, b.data(), ow * 3, name);
        const double d = mean_abs_diff(a, b);
        EXPECT_LT(d, 2.0) << name << " crop " << c.x << "," << c.y << " " << c.width << "x" << c.height;
        total += d;
        ++checked;
      }
  }
  EXPECT_LT(total / checked, 0.5);
  EXPECT_GT(cutting.restart_cuts(), static_cast<uint64_t>(checked) / 2);
  EXPECT_EQ(reference.restart_cuts(), 0u);
}

// end_at_crop: the region stops at the crop's right MCU edge inside an interval, and only our
// Huffman decoder reads such a cut (it restarts at every row's end). Crops decoded at their own
// size (no resize) through it equal the uncut decode exactly where nothing is subsampled and
// within the upsampler's edge effects elsewhere; libjpeg's decoder gets whole intervals.
TEST(RestartCut, CutsEndingInsideAnIntervalDecodeLikeTheWholeStream) {
  RestartCutScratch scratch;
  JpegDecoder ours, theirs, uncut;
  theirs.set_own_huffman_decoder(false);
  uncut.set_restart_cut(false);
  int shortened = 0, exact = 0;
  for (const auto& [name, jpeg] : restart_streams()) {
    const auto h = *parse_jpeg_header(jpeg);
    const int W = h.width, H = h.height, mcu_w = mcu_width(h);
    const bool subsampled = h.components == 3 && (h.max_h > 1 || h.max_v > 1);
    for (const Rect c : {Rect{W / 3 + 1, H / 3, W / 5, H / 3}, Rect{1, H / 2, W / 2 + 3, H / 2},
                         Rect{W / 4, 0, W / 7 + 1, H / 4}, Rect{W - W / 3, H / 5, W / 3 - 9, H / 4}}) {
      // (No cut at all for a crop at the top whose intervals span the width.)
      const auto cut = cut_to_restart_intervals(jpeg, c, scratch, /*end_at_crop=*/true);
      const bool short_rows = cut && cut->rows_end_mid_interval;
      if (short_rows) {
        EXPECT_EQ(cut->x + cut->width, std::min(W, (c.x + c.width + mcu_w - 1) / mcu_w * mcu_w)) << name;
      }
      if (cut) {
        EXPECT_GE(cut->x + cut->width, c.x + c.width) << name;
      }
      shortened += short_rows;

      std::vector<uint8_t> a(static_cast<size_t>(c.width) * c.height * 3), b(a.size()), ref(a.size());
      ours.decode_crop_resize(jpeg, c, c.width, c.height, false, a.data(), c.width * 3, name);
      theirs.decode_crop_resize(jpeg, c, c.width, c.height, false, b.data(), c.width * 3, name);
      uncut.decode_crop_resize(jpeg, c, c.width, c.height, false, ref.data(), c.width * 3, name);
      if (!subsampled) {
        EXPECT_EQ(a, ref) << name << " crop " << c.x << "," << c.y << " " << c.width << "x" << c.height;
        exact += short_rows;
      }
      EXPECT_LT(mean_abs_diff(a, ref), 0.5) << name;
      EXPECT_LT(mean_abs_diff(b, ref), 0.5) << name;
    }
  }
  EXPECT_GT(shortened, 10);
  EXPECT_GT(exact, 0);
  EXPECT_GT(theirs.restart_cuts(), 0u);
  EXPECT_EQ(theirs.own_huffman_decodes(), 0u);
}

// A scan our Huffman decoder declines (here an SOS whose spectral end is not 63, which libjpeg
// only warns about in a baseline file) cannot read a cut ending inside an interval: that crop
// is decoded uncut by libjpeg's decoder instead, and looks like the intact stream's.
TEST(RestartCut, AScanOursDeclinesIsDecodedUncut) {
  RestartCutScratch scratch;
  JpegDecoder decoder, reference;
  int checked = 0;
  for (const auto& [name, jpeg] : restart_streams()) {
    const auto h = *parse_jpeg_header(jpeg);
    const Rect c{h.width / 3 + 1, h.height / 3, h.width / 5, h.height / 3};
    const auto cut = cut_to_restart_intervals(jpeg, c, scratch, /*end_at_crop=*/true);
    if (!cut || !cut->rows_end_mid_interval) continue;
    std::vector<uint8_t> odd = jpeg;
    ASSERT_EQ(odd[h.scan_data_offset - 2], 63) << name;  // SOS: ... Ss Se AhAl, then the data
    odd[h.scan_data_offset - 2] = 62;
    std::vector<uint8_t> a(160 * 160 * 3), b(a.size());
    const uint64_t ours_before = decoder.own_huffman_decodes();
    decoder.decode_crop_resize(odd, c, 160, 160, false, a.data(), 160 * 3, name);
    EXPECT_EQ(decoder.own_huffman_decodes(), ours_before) << name;
    reference.decode_crop_resize(jpeg, c, 160, 160, false, b.data(), 160 * 3, name);
    EXPECT_LT(mean_abs_diff(a, b), 0.5) << name;
    ++checked;
  }
  EXPECT_GT(checked, 3);
}

TEST(RestartCut, StreamsThatCannotBeCutUseTheOrdinaryPath) {
  RestartCutScratch scratch;
  const Image img = fastimg::testing::pattern_image(200, 120, 1);
  auto plain = fastimg::testing::libjpeg_encode(img);
  EXPECT_FALSE(cut_to_restart_intervals(plain, {50, 50, 20, 20}, scratch));  // no markers
  JpegSpec odd;
  odd.restart_interval = 5;  // 13 MCUs per row: 5 does not tile it
  EXPECT_FALSE(cut_to_restart_intervals(fastimg::testing::libjpeg_encode(img, odd), {50, 50, 20, 20}, scratch));
  auto ours = encode_jpeg_with_restarts(img.view(), 90, 4);
  EXPECT_TRUE(has_row_tiling_restarts(ours));
  EXPECT_TRUE(cut_to_restart_intervals(ours, {50, 50, 20, 20}, scratch));
  EXPECT_FALSE(cut_to_restart_intervals(ours, {0, 0, 200, 30}, scratch));   // top, full width
  EXPECT_FALSE(cut_to_restart_intervals(ours, {190, 50, 20, 20}, scratch)); // outside
  EXPECT_FALSE(cut_to_restart_intervals(std::vector<uint8_t>(ours.begin(), ours.end() - ours.size() / 2),
                                        {50, 100, 20, 20}, scratch));       // truncated
  // A cut encoder stream decodes like TurboJPEG's (same tables, same sampling).
  JpegDecoder dec;
  const ImageView a = dec.decode_full(ours);
  std::vector<uint8_t> first(a.data, a.data + a.stride * a.height);
  const ImageView b = dec.decode_full(encode_jpeg(img.view(), 90));
  EXPECT_LT(fastimg::testing::mean_abs_diff(first.data(), b.data, first.size()), 0.5);
}

}  // namespace
}  // namespace fastimg::codec
