#include "codec/huffman_decoder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
// jpeglib.h needs size_t and FILE declared first; jpegint.h declares the entropy module.
#include <jpeglib.h>
#include <jpegint.h>

// The entropy module's contract (coefficients zeroed by the caller, NULL to discard, libjpeg's
// restart and resync rules) is libjpeg-turbo's; other libjpegs differ in it.
#ifndef LIBJPEG_TURBO_VERSION_NUMBER
#error "codec/huffman_decoder.cc needs libjpeg-turbo's libjpeg API (libjpeg62-turbo-dev)"
#endif

namespace fastimg::codec {
namespace {

static_assert(sizeof(JCOEF) == sizeof(int16_t));

// Zigzag index -> row-major index. The 16 extra entries absorb a corrupt run past the last
// coefficient, as libjpeg's table does.
constexpr uint8_t kNaturalOrder[64 + 16] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13,
    6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31,
    39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63};

// `size` bits read as a coefficient: values below 2^(size-1) are the negative half (F.2.2.1).
inline int32_t extend(int32_t v, int size) { return v < (1 << (size - 1)) ? v - (1 << size) + 1 : v; }

inline uint32_t peek(const EntropyBits& in, int n) { return static_cast<uint32_t>(in.bits >> (64 - n)); }
inline void skip(EntropyBits& in, int n) {
  in.bits <<= n;
  in.count -= n;
}

// The byte-at-a-time refill: stuffed bytes, markers, the end of the data. By value, so that the
// caller's bit state is never address-taken and stays in registers.
[[gnu::noinline]] EntropyBits refill_bytewise(EntropyBits in) {
  while (in.count <= 56) {
    if (in.at_marker || in.pos >= in.end) {
      in.zeros += 64 - in.count;
      in.count = 64;
      in.at_marker = true;
      break;
    }
    const uint8_t c = *in.pos;
    if (c == 0xFF) {  // FF 00 (after any fill FFs) is a data byte; anything else a marker
      const uint8_t* q = in.pos + 1;
      while (q < in.end && *q == 0xFF) ++q;
      if (q >= in.end || *q != 0x00) {
        in.at_marker = true;
        continue;
      }
      in.pos = q + 1;
    } else {
      ++in.pos;
    }
    in.bits |= uint64_t{c} << (56 - in.count);
    in.count += 8;
  }
  return in;
}

// At least 32 bits in the buffer: whole bytes up to the next 0xFF at once, the rest bytewise.
inline void refill(EntropyBits& in) {
  if (!in.at_marker && in.end - in.pos >= 8) {
    uint64_t w;
    std::memcpy(&w, in.pos, 8);
    w = __builtin_bswap64(w);  // the next byte is the most significant
    int bytes = (64 - in.count) >> 3;
    // Flags every 0xFF byte (and at most some bytes before one): the bytes above the highest
    // flag hold no 0xFF.
    const uint64_t ff = (~w - 0x0101010101010101ULL) & w & 0x8080808080808080ULL;
    if (ff != 0) bytes = std::min(bytes, __builtin_clzll(ff) >> 3);
    if (bytes > 0) {
      in.bits |= (bytes == 8 ? w : w & ~(~uint64_t{0} >> (8 * bytes))) >> in.count;
      in.count += 8 * bytes;
      in.pos += bytes;
      if (in.count >= 32) return;
    }
  }
  in = refill_bytewise(in);
}

// An entry with the code and its extra bits resolved (length 0 in the table): longer codes by
// their length's largest code (F.2.2.3). By value: the caller's bits stay in registers.
[[gnu::noinline]] HuffmanTable::Entry complete(uint64_t bits, const HuffmanTable& t, HuffmanTable::Entry e) {
  int length = e.value, symbol = e.skip;
  if (length == 0) {
    for (length = HuffmanTable::kBits + 1; length <= 16; ++length) {
      const auto code = static_cast<int32_t>(bits >> (64 - length));
      if (code <= t.max_code[length]) break;
    }
    if (length > 16) return {17, 0, 0};  // no such code: libjpeg reads 17 bits and a zero symbol
    symbol = t.symbols[(static_cast<int32_t>(bits >> (64 - length)) + t.value_offset[length]) & 0xFF];
  }
  const int size = symbol & 15;
  const int32_t extra = size == 0 ? 0 : static_cast<int32_t>((bits << length) >> (64 - size));
  return {static_cast<uint8_t>(length + size), HuffmanTable::skip_of(symbol),
          static_cast<int16_t>(size == 0 ? 0 : extend(extra, size))};
}

// The next code and its extra bits, consumed.
inline HuffmanTable::Entry next(EntropyBits& in, const HuffmanTable& t) {
  if (in.count < 32) refill(in);  // a code and its extra bits take at most 16 + 15 bits
  HuffmanTable::Entry e = t.fast[peek(in, HuffmanTable::kBits)];
  if (__builtin_expect(e.length == 0, 0)) e = complete(in.bits, t, e);
  skip(in, e.length);
  return e;
}

// The next marker at or after `p`: its code byte, with `ff` at its first 0xFF; nullptr if none.
const uint8_t* next_marker(const uint8_t* p, const uint8_t* end, const uint8_t*& ff) {
  while (p < end && (p = static_cast<const uint8_t*>(std::memchr(p, 0xFF, static_cast<size_t>(end - p))))) {
    const uint8_t* q = p + 1;
    while (q < end && *q == 0xFF) ++q;
    if (q == end) return nullptr;
    if (*q != 0x00) {
      ff = p;
      return q;
    }
    p = q + 1;  // FF 00: a data byte
  }
  return nullptr;
}

boolean decode_mcu_for_libjpeg(j_decompress_ptr cinfo, JBLOCKROW* blocks) {
  static_cast<BaselineHuffmanDecoder*>(cinfo->client_data)
      ->decode_mcu(*cinfo, reinterpret_cast<int16_t(**)[64]>(blocks));
  return TRUE;
}

}  // namespace

bool HuffmanTable::build(const uint8_t counts_by_length[17], const uint8_t symbol_values[256]) {
  int total = 0;
  for (int length = 1; length <= 16; ++length) total += counts_by_length[length];
  if (total > 256) return false;
  if (built && std::memcmp(counts, counts_by_length, 17) == 0 && std::memcmp(symbols, symbol_values, total) == 0)
    return true;
  built = false;
  std::memcpy(counts, counts_by_length, 17);
  std::memcpy(symbols, symbol_values, static_cast<size_t>(total));
  std::memset(fast, 0, sizeof(fast));
  // Canonical codes (C.2): consecutive within a length, doubled from one length to the next.
  int code = 0, k = 0;
  for (int length = 1; length <= 16; ++length) {
    value_offset[length] = k - code;
    for (int i = 0; i < counts[length]; ++i, ++k, ++code) {
      if (code >= (1 << length)) return false;
      if (length > kBits) continue;
      const uint8_t symbol = symbols[k];
      const int size = symbol & 15, spare = kBits - length;
      for (int low = 0; low < (1 << spare); ++low) {
        Entry& e = fast[(code << spare) | low];
        if (length + size <= kBits) {
          const int extra = size == 0 ? 0 : low >> (spare - size);
          e = {static_cast<uint8_t>(length + size), skip_of(symbol),
               static_cast<int16_t>(size == 0 ? 0 : extend(extra, size))};
        } else {
          e = {0, symbol, static_cast<int16_t>(length)};
        }
      }
    }
    max_code[length] = counts[length] != 0 ? code - 1 : -1;
    code <<= 1;
  }
  built = true;
  return true;
}

void EntropyBits::refill() { codec::refill(*this); }

bool BaselineHuffmanDecoder::install(jpeg_decompress_struct& cinfo) {
  if (cinfo.progressive_mode || cinfo.arith_code || cinfo.data_precision != 8 || cinfo.entropy == nullptr ||
      cinfo.src == nullptr)
    return false;
  if (cinfo.comps_in_scan != cinfo.num_components || cinfo.comps_in_scan > 4 || cinfo.Ss != 0 ||
      cinfo.Se != DCTSIZE2 - 1 || cinfo.Ah != 0 || cinfo.Al != 0 || cinfo.blocks_in_MCU > kMaxBlocks)
    return false;
  for (int ci = 0; ci < cinfo.comps_in_scan; ++ci) {
    const jpeg_component_info* c = cinfo.cur_comp_info[ci];
    if (c->dc_tbl_no < 0 || c->dc_tbl_no > 3 || c->ac_tbl_no < 0 || c->ac_tbl_no > 3) return false;
    const JHUFF_TBL* dc = cinfo.dc_huff_tbl_ptrs[c->dc_tbl_no];
    const JHUFF_TBL* ac = cinfo.ac_huff_tbl_ptrs[c->ac_tbl_no];
    if (dc == nullptr || ac == nullptr || !dc_[c->dc_tbl_no].build(dc->bits, dc->huffval) ||
        !ac_[c->ac_tbl_no].build(ac->bits, ac->huffval))
      return false;
  }
  blocks_ = cinfo.blocks_in_MCU;
  for (int b = 0; b < blocks_; ++b) {
    const int ci = cinfo.MCU_membership[b];
    block_component_[b] = static_cast<uint8_t>(ci);
    block_dc_[b] = &dc_[cinfo.cur_comp_info[ci]->dc_tbl_no];
    block_ac_[b] = &ac_[cinfo.cur_comp_info[ci]->ac_tbl_no];
  }
  in_ = EntropyBits{};
  in_.pos = cinfo.src->next_input_byte;
  in_.end = in_.pos + cinfo.src->bytes_in_buffer;
  std::memset(predictor_, 0, sizeof(predictor_));
  restart_interval_ = restarts_to_go_ = cinfo.restart_interval;
  next_restart_ = 0;
  mcus_per_row_ = cinfo.MCUs_per_row;
  column_ = 0;
  insufficient_ = false;
  cinfo.client_data = this;
  cinfo.entropy->decode_mcu = &decode_mcu_for_libjpeg;
  return true;
}

void BaselineHuffmanDecoder::restart() {
  // What is left of the interval is padding; the marker follows. Anything else is decided as
  // libjpeg's jpeg_resync_to_restart decides it, so that damaged streams decode alike.
  in_.bits = 0;
  in_.count = 0;
  in_.zeros = 0;
  const unsigned desired = next_restart_;
  next_restart_ = (next_restart_ + 1) & 7;
  for (;;) {
    const uint8_t* ff = nullptr;
    const uint8_t* code = next_marker(in_.pos, in_.end, ff);
    if (code == nullptr) {  // the end of the data (libjpeg sees an EOI there)
      in_.pos = in_.end;
      in_.at_marker = true;
      break;
    }
    const unsigned m = *code, n = m - 0xD0;
    const bool restart_marker = m >= 0xD0 && m <= 0xD7;
    const bool ahead = restart_marker && (n == ((desired + 1) & 7) || n == ((desired + 2) & 7));
    const bool behind = restart_marker && (n == ((desired - 1) & 7) || n == ((desired - 2) & 7));
    if (m < 0xC0 || behind) {  // not a marker, or one already passed: skip it and look again
      in_.pos = code + 1;
    } else if (!restart_marker || ahead) {  // keep it: the interval decodes as empty
      in_.pos = ff;
      in_.at_marker = true;
      break;
    } else {  // the expected marker (or one too far off to resync on): decode after it
      in_.pos = code + 1;
      in_.at_marker = false;
      insufficient_ = false;
      break;
    }
  }
  std::memset(predictor_, 0, sizeof(predictor_));
  restarts_to_go_ = restart_interval_;
}

void BaselineHuffmanDecoder::decode_mcu(jpeg_decompress_struct& cinfo, int16_t (**blocks)[64]) {
  if (restart_interval_ != 0) {
    if (restarts_to_go_ == 0) restart();
    --restarts_to_go_;
    if (rows_end_mid_interval_ && ++column_ == mcus_per_row_) {
      column_ = 0;
      restarts_to_go_ = 0;  // the row's last, shortened interval ends with this MCU
    }
  }
  if (!insufficient_) {
    EntropyBits in = in_;  // a local copy stays in registers
    for (int b = 0; b < blocks_; ++b) {
      int16_t* block = blocks != nullptr ? *blocks[b] : discard_;
      int32_t& predictor = predictor_[block_component_[b]];
      // Unsigned: corrupt streams may run the predictor over; libjpeg wraps it too.
      predictor = static_cast<int32_t>(static_cast<uint32_t>(predictor) +
                                       static_cast<uint32_t>(next(in, *block_dc_[b]).value));
      block[0] = static_cast<int16_t>(predictor);
      const HuffmanTable& ac = *block_ac_[b];
      // k: the zigzag index of the last coefficient stored; a code advances past its run of
      // zeros to its own (a ZRL advances 16 and stores a zero). Past 63 the order table keeps
      // a corrupt stream's stores inside the block, as libjpeg's does.
      for (int k = 0; k < 63;) {
        const HuffmanTable::Entry e = next(in, ac);
        if (e.skip == 0) break;  // end of block
        k += e.skip;
        block[kNaturalOrder[k]] = e.value;
      }
    }
    if (in.zeros > in.count) insufficient_ = true;  // this MCU read past the data
    in_ = in;
  }
  // What libjpeg reads after the scan (EOI) starts where we stopped.
  cinfo.src->next_input_byte = in_.pos;
  cinfo.src->bytes_in_buffer = static_cast<size_t>(in_.end - in_.pos);
  cinfo.entropy->insufficient_data = insufficient_;
}

}  // namespace fastimg::codec
