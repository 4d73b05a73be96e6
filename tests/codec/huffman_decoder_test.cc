// Our baseline Huffman decoder against libjpeg-turbo's own (the reference: the same JpegDecoder
// with set_own_huffman_decoder(false)). Entropy decoding is lossless, so the pixels must be
// identical, byte for byte: on every shared photograph, on restart-marker streams of every
// sampling with crops through the interval cut (rows skipped, columns cropped), and on truncated
// and corrupted streams. Plus the table and bit-reader layers on hand-computed cases.
#include "codec/huffman_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "codec/jpeg_decoder.h"
#include "codec/jpeg_header.h"
#include "codec/restart_streams.h"
#include "codec/test_images.h"
#include "util/error.h"
#include "test_support.h"

namespace fastimg::codec {
namespace {

using fastimg::testing::read_bytes;

// The full decode's pixels, or empty if the decoder rejects the stream.
std::vector<uint8_t> pixels_of(JpegDecoder& d, const std::vector<uint8_t>& jpeg, int* width = nullptr) {
  try {
    const ImageView v = d.decode_full(jpeg);
    if (width) *width = v.width;
    return std::vector<uint8_t>(v.data, v.data + v.stride * v.height);
  } catch (const fastimg::Error&) {
    return {};
  }
}

struct Pair {
  JpegDecoder ours, libjpeg;
  Pair() { libjpeg.set_own_huffman_decoder(false); }
};

TEST(HuffmanDecoder, EveryPhotographDecodesToLibjpegsPixels) {
  Pair d;
  int compared = 0;
  for (const auto& path : fastimg::testing::sample_photographs()) {
    const auto jpeg = read_bytes(path.string());
    const auto a = pixels_of(d.ours, jpeg), b = pixels_of(d.libjpeg, jpeg);
    ASSERT_EQ(a.size(), b.size()) << path;
    EXPECT_TRUE(a == b) << path;
    compared += !a.empty();
  }
  EXPECT_GT(compared, 240);
  EXPECT_GT(d.ours.own_huffman_decodes(), 240u);  // progressive ones would stay with libjpeg
  EXPECT_EQ(d.libjpeg.own_huffman_decodes(), 0u);
}

TEST(HuffmanDecoder, RestartStreamsAndCutCropsDecodeToLibjpegsPixels) {
  Pair d;
  int crops = 0;
  for (const auto& [name, jpeg] : fastimg::testing::restart_streams()) {
    EXPECT_TRUE(pixels_of(d.ours, jpeg) == pixels_of(d.libjpeg, jpeg)) << name;
    const auto h = *parse_jpeg_header(jpeg);
    const int W = h.width, H = h.height;
    for (const Rect& c : {Rect{0, 0, W / 2 + 1, H / 3 + 1}, Rect{W - W / 3 - 1, H - H / 2 - 1, W / 3 + 1, H / 2 + 1},
                          Rect{W / 3, H / 3, W / 3, H / 3}, Rect{W / 5, H - 40, 30, 40}})
      for (int out : {160, 24}) {  // 24: DCT scaling to 1/8, 2/8 or 4/8
        std::vector<uint8_t> a(static_cast<size_t>(out) * out * 3), b(a.size());
        d.ours.decode_crop_resize(jpeg, c, out, out, true, a.data(), out * 3, name);
        d.libjpeg.decode_crop_resize(jpeg, c, out, out, true, b.data(), out * 3, name);
        EXPECT_TRUE(a == b) << name << " crop " << c.x << "," << c.y << " " << c.width << "x" << c.height;
        ++crops;
      }
  }
  EXPECT_GT(d.ours.restart_cuts(), static_cast<uint64_t>(crops) / 2);
  EXPECT_GT(d.ours.own_huffman_decodes(), static_cast<uint64_t>(crops));
}

TEST(HuffmanDecoder, TruncatedStreamsDecodeToLibjpegsPixels) {
  Pair d;
  // With restart markers (every kind of sampling) and without (the photographs as they came).
  auto streams = fastimg::testing::restart_streams();
  for (const auto& path : fastimg::testing::every_eighth_sample())
    streams.emplace_back(path.filename().string() + " no markers", read_bytes(path.string()));
  int n = 0;
  for (const auto& [name, jpeg] : streams) {
    if (n++ % 2 != 0) continue;
    const auto h = parse_jpeg_header(jpeg);
    if (!h || h->frame_marker != 0xC0) continue;
    for (double kept : {0.3, 0.71, 0.97}) {
      const size_t at = h->scan_data_offset + static_cast<size_t>(kept * (jpeg.size() - h->scan_data_offset));
      const std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(at));
      const auto a = pixels_of(d.ours, cut), b = pixels_of(d.libjpeg, cut);
      EXPECT_FALSE(b.empty()) << name;  // libjpeg pads a truncated scan with blank blocks
      EXPECT_TRUE(a == b) << name << " kept " << kept;
    }
  }
}

TEST(HuffmanDecoder, CorruptedEntropyDataDecodesToLibjpegsPixels) {
  Pair d;
  std::mt19937 rng(7);
  const auto files = fastimg::testing::sample_photographs();
  int compared = 0;
  for (size_t i = 0; i < files.size(); i += 16) {
    const auto jpeg = read_bytes(files[i].string());
    const auto h = parse_jpeg_header(jpeg);
    if (!h || h->frame_marker != 0xC0) continue;
    for (int trial = 0; trial < 3; ++trial) {
      auto bad = jpeg;
      std::uniform_int_distribution<size_t> where(h->scan_data_offset, bad.size() - 3);
      for (int k = 0; k < 1 + trial * 4; ++k) bad[where(rng)] = static_cast<uint8_t>(rng());
      const auto a = pixels_of(d.ours, bad), b = pixels_of(d.libjpeg, bad);
      EXPECT_TRUE(a == b) << files[i] << " trial " << trial;
      ++compared;
    }
  }
  EXPECT_GT(compared, 30);
}

// Damaged restart markers: out of sequence, or codes that are no marker. libjpeg resyncs on them
// by fixed rules (jpeg_resync_to_restart), which ours follows: the same pixels, or the same error.
TEST(HuffmanDecoder, DamagedRestartMarkersDecodeLikeLibjpeg) {
  Pair d;
  std::mt19937 rng(11);
  int decoded = 0;
  for (const auto& [name, jpeg] : fastimg::testing::restart_streams()) {
    const auto h = *parse_jpeg_header(jpeg);
    for (const uint8_t replacement : {uint8_t{0xD3}, uint8_t{0x17}, uint8_t{0xD9}}) {
      auto bad = jpeg;
      for (size_t i = h.scan_data_offset; i + 3 < bad.size(); ++i)
        if (bad[i] == 0xFF && bad[i + 1] >= 0xD0 && bad[i + 1] <= 0xD7 && rng() % 7 == 0) bad[i + 1] = replacement;
      const auto a = pixels_of(d.ours, bad), b = pixels_of(d.libjpeg, bad);
      EXPECT_TRUE(a == b) << name << " marker " << int(replacement);
      decoded += !a.empty();
    }
  }
  EXPECT_GT(decoded, 10);
}

// The luminance DC table of ITU-T T.81 Annex K.3: categories 0..11 with code lengths
// 2,3,3,3,3,3,4,5,6,7,8,9.
HuffmanTable annex_k_luma_dc() {
  const uint8_t counts[17] = {0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  uint8_t symbols[256] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  HuffmanTable t;
  EXPECT_TRUE(t.build(counts, symbols));
  return t;
}

TEST(HuffmanDecoder, TableResolvesCodesAndExtraBitsInOneLookup) {
  static_assert(HuffmanTable::kBits >= 10 && HuffmanTable::kBits < 20);
  const HuffmanTable t = annex_k_luma_dc();
  // The entry for the next bits `prefix` (`n` of them, then zeros).
  auto at = [&](unsigned prefix, int n) { return t.fast[prefix << (HuffmanTable::kBits - n)]; };
  // "00": category 0, two bits, value 0.
  EXPECT_EQ(at(0b00, 2).length, 2);
  EXPECT_EQ(at(0b00, 2).value, 0);
  // "010" + "1": category 1, value +1; "010" + "0": -1.
  EXPECT_EQ(at(0b0101, 4).value, 1);
  EXPECT_EQ(at(0b0100, 4).value, -1);
  EXPECT_EQ(at(0b0100, 4).length, 4);
  // "101" (category 4) + "0110": 6 - 15 = -9, seven bits.
  EXPECT_EQ(at(0b1010110, 7).value, -9);
  EXPECT_EQ(at(0b1010110, 7).length, 7);
  // "1110" (category 6) + "100000": +32 in ten bits.
  EXPECT_EQ(at(0b1110100000, 10).value, 32);
  EXPECT_EQ(at(0b1110100000, 10).length, 10);
  // "111111110" (category 11): 9 + 11 bits do not fit; the entry gives the code's length.
  EXPECT_EQ(at(0b111111110, 9).length, 0);
  EXPECT_EQ(at(0b111111110, 9).value, 9);
  EXPECT_EQ(at(0b111111110, 9).skip, 11);  // the symbol, for the decoder to finish
  // "111111111" starts no code.
  EXPECT_EQ(at(0b111111111, 9).length, 0);
  EXPECT_EQ(at(0b111111111, 9).value, 0);
  EXPECT_EQ(t.max_code[9], 0b111111110);
  EXPECT_EQ(t.max_code[10], -1);

  const uint8_t oversubscribed[17] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint8_t symbols[256] = {0, 1, 2};
  HuffmanTable bad;
  EXPECT_FALSE(bad.build(oversubscribed, symbols));
}

TEST(HuffmanDecoder, BitReaderUnstuffsAndStopsAtMarkers) {
  // 8 bytes without 0xFF load at once; FF 00 is a data byte 0xFF; FF D9 ends the data.
  const std::vector<uint8_t> bytes = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11, 0xFF, 0x00, 0x22, 0xFF, 0xD9};
  EntropyBits in;
  in.pos = bytes.data();
  in.end = bytes.data() + bytes.size();
  in.refill();
  EXPECT_EQ(in.count, 64);
  EXPECT_EQ(in.bits, 0x123456789ABCDEF0ULL);
  EXPECT_FALSE(in.at_marker);
  in.bits <<= 40;
  in.count -= 40;
  in.refill();
  EXPECT_EQ(in.bits >> 16, 0xBCDEF011FF22ULL);  // FF 00 read as FF
  EXPECT_TRUE(in.at_marker);
  EXPECT_EQ(in.pos, bytes.data() + 12);  // at the marker, not past it
  EXPECT_EQ(in.zeros, 16);
  EXPECT_EQ(in.count, 64);
  EXPECT_EQ(in.bits & 0xFFFF, 0u);  // and zeros after it
}

}  // namespace
}  // namespace fastimg::codec
