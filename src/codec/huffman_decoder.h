#pragma once
// Baseline JPEG entropy decoding (sequential, Huffman) that libjpeg-turbo calls in place of its own.
// Why: entropy decoding is most of a cropped decode's time (70 % of a whole one on the shared
// sample), and libjpeg-turbo's decoder turns its fast path off in any stream with restart markers,
// which the restart cut (codec/restart_cut.h) needs. This one refills up to 8 bytes at once
// wherever they hold no 0xFF, resolves a code and its extra bits in one lookup when they fit 10
// bits, and handles restart markers itself: 1.27x libjpeg-turbo's entropy decoding with markers
// and without (bench/codec/huffman_decode_benchmark). It writes the coefficients libjpeg's own
// decoder writes, on truncated and damaged streams too (a read past the data leaves the rest of
// the interval blank, markers resync by libjpeg's rules); the tests compare pixels byte for byte.
//
// It takes libjpeg's place through the decoder's entropy module (jpegint.h): after
// jpeg_start_decompress, `decode_mcu` is ours; IDCT, upsampling and colour conversion stay
// libjpeg-turbo's SIMD code. The module is re-created for every image, so install per image.
#include <cstdint>

struct jpeg_decompress_struct;

namespace fastimg::codec {

// One Huffman table, decoded by a lookup on the next kBits bits: a complete entry gives the
// coefficient itself (the code and its extra bits fit kBits); longer codes go by length.
struct HuffmanTable {
  static constexpr int kBits = 10;
  struct Entry {
    uint8_t length;  // complete: the bits it consumes, code and extra bits; else 0. The low
                     // byte, so that the shift that consumes them can take it as loaded.
    uint8_t skip;    // complete: skip_of(symbol); else the symbol
    int16_t value;   // complete: the coefficient; else the code's length (0: longer than kBits)
  };
  // For AC symbols: zigzag positions a code advances (its run of zeros plus its own coefficient;
  // a ZRL advances 16 and stores a zero); 0 for end of block (as in libjpeg, also any other
  // zero-size symbol).
  static constexpr uint8_t skip_of(uint8_t symbol) {
    return (symbol & 15) != 0 || symbol == 0xF0 ? static_cast<uint8_t>((symbol >> 4) + 1) : 0;
  }
  Entry fast[1 << kBits];
  int32_t max_code[17];      // largest code of each length, -1 if none
  int32_t value_offset[17];  // index in `symbols` of a length's first code, minus that code
  uint8_t counts[17];        // the DHT segment it was built from, to rebuild only when it changes
  uint8_t symbols[256];
  bool built = false;

  // False for an over-subscribed table (libjpeg rejects those before we see them).
  bool build(const uint8_t counts_by_length[17], const uint8_t symbol_values[256]);
};

// Bits of the entropy-coded segment, most significant first. Below `count` the bits are zero.
struct EntropyBits {
  const uint8_t* pos = nullptr;
  const uint8_t* end = nullptr;
  uint64_t bits = 0;
  int count = 0;
  bool at_marker = false;  // pos is at a marker (or the end): the bits from here on are zeros
  int zeros = 0;           // zero bits supplied since then; more than `count` means a read past the data

  void refill();
};

class BaselineHuffmanDecoder {
 public:
  // After jpeg_start_decompress: decodes cinfo's scan from now on if it is one baseline Huffman
  // scan of every component of an 8-bit image; false leaves libjpeg's own decoder in place.
  bool install(jpeg_decompress_struct& cinfo);

  // One MCU into blocks[0 .. blocks_in_MCU) (zeroed by libjpeg); blocks == nullptr discards it.
  void decode_mcu(jpeg_decompress_struct& cinfo, int16_t (**blocks)[64]);

  // For the next install: every MCU row also ends an interval, wherever the restart count is (the
  // rows of a restart cut made with end_at_crop, codec/restart_cut.h); the rest of that
  // interval's bytes are skipped up to its marker.
  void set_rows_end_mid_interval(bool on) { rows_end_mid_interval_ = on; }

 private:
  static constexpr int kMaxBlocks = 10;  // D_MAX_BLOCKS_IN_MCU
  void restart();

  HuffmanTable dc_[4], ac_[4];
  const HuffmanTable* block_dc_[kMaxBlocks] = {};
  const HuffmanTable* block_ac_[kMaxBlocks] = {};
  uint8_t block_component_[kMaxBlocks] = {};
  int blocks_ = 0;
  int32_t predictor_[4] = {};
  unsigned restart_interval_ = 0, restarts_to_go_ = 0, next_restart_ = 0;
  bool rows_end_mid_interval_ = false;
  unsigned mcus_per_row_ = 0, column_ = 0;  // of the scan; the MCU about to be decoded
  bool insufficient_ = false;  // read past the data: the interval's remaining MCUs stay blank
  EntropyBits in_;
  int16_t discard_[64] = {};
};

}  // namespace fastimg::codec
