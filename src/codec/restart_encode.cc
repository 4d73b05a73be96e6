// libjpeg's compressor (TurboJPEG 2.x has no restart setting): the pixel encoder for re-encoded
// samples and the coefficient transcoder (jpegtran's lossless path) for passed-through ones.
#include "codec/restart_encode.h"

#include <csetjmp>
#include <cstring>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <cstdlib>

#include "codec/jpeg_header.h"
#include "codec/restart_cut.h"
#include "util/error.h"

namespace fastimg::codec {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void install(jpeg_common_struct* info, ErrorManager& err) {
  info->err = jpeg_std_error(&err.pub);
  err.pub.error_exit = [](j_common_ptr c) {
    auto* e = reinterpret_cast<ErrorManager*>(c->err);
    (*c->err->format_message)(c, e->message);
    std::longjmp(e->jump, 1);
  };
  err.pub.output_message = [](j_common_ptr) {};
}

// The compressor's memory destination, freed with the struct.
struct MemoryDestination {
  unsigned char* data = nullptr;
  unsigned long size = 0;
  ~MemoryDestination() { std::free(data); }
  std::vector<uint8_t> bytes() const { return {data, data + size}; }
};

// The source's AC Huffman tables (and which component uses which) in place of the standard
// ones that jpeg_copy_critical_parameters leaves: on the shared sample the standard tables made
// 6 % more bytes to store and to entropy-decode per sample, and fitting new tables
// (optimize_coding) made the re-wrap 1.6x slower. AC codes do not depend on restart markers, so
// the source's tables code every AC symbol of these coefficients; DC differences do (each
// interval starts from 0), so DC keeps the standard tables, which code every category. Only
// from a single baseline scan: a progressive source's AC tables code other symbols.
void keep_ac_huffman_tables(const jpeg_decompress_struct& src, jpeg_compress_struct& dst) {
  if (src.progressive_mode || src.arith_code || src.input_scan_number != 1) return;
  for (int i = 0; i < NUM_HUFF_TBLS; ++i) {
    const JHUFF_TBL* from = src.ac_huff_tbl_ptrs[i];
    if (from == nullptr) continue;
    JHUFF_TBL*& to = dst.ac_huff_tbl_ptrs[i];
    if (to == nullptr) to = jpeg_alloc_huff_table(reinterpret_cast<j_common_ptr>(&dst));
    std::memcpy(to->bits, from->bits, sizeof(to->bits));
    std::memcpy(to->huffval, from->huffval, sizeof(to->huffval));
    to->sent_table = FALSE;
  }
  for (int c = 0; c < src.num_components; ++c) dst.comp_info[c].ac_tbl_no = src.comp_info[c].ac_tbl_no;
}

int interval_for(int width, int mcu_w, int target) { return restart_interval_for((width + mcu_w - 1) / mcu_w, target); }

}  // namespace

std::vector<uint8_t> encode_jpeg_with_restarts(const ImageView& image, int quality, int restart_target) {
  if (image.width <= 0 || image.height <= 0) fail("JPEG encoder: empty image {}x{}", image.width, image.height);
  jpeg_compress_struct cinfo;
  ErrorManager err;
  MemoryDestination dest;
  install(reinterpret_cast<jpeg_common_struct*>(&cinfo), err);
  jpeg_create_compress(&cinfo);
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    fail("JPEG encoder: {}", err.message);
  }
  jpeg_mem_dest(&cinfo, &dest.data, &dest.size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);  // YCbCr 4:2:0 with JFIF, like TurboJPEG's TJSAMP_420
  jpeg_set_quality(&cinfo, quality, TRUE);
  cinfo.restart_interval = static_cast<unsigned>(interval_for(image.width, 16, restart_target));
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(image.data) + static_cast<size_t>(cinfo.next_scanline) * image.stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return dest.bytes();
}

bool has_row_tiling_restarts(std::span<const uint8_t> jpeg) {
  const auto h = parse_jpeg_header(jpeg, /*check_scan=*/false);
  int64_t per_row = 0, rows_per = 0;
  return h && restart_grid(*h, per_row, rows_per);
}

std::vector<uint8_t> add_restart_markers(std::span<const uint8_t> jpeg, int restart_target, const std::string& what) {
  jpeg_decompress_struct src;
  jpeg_compress_struct dst;
  ErrorManager err;  // shared: either side's error ends both
  MemoryDestination dest;
  install(reinterpret_cast<jpeg_common_struct*>(&src), err);
  dst.err = &err.pub;
  jpeg_create_decompress(&src);
  jpeg_create_compress(&dst);
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&dst);
    jpeg_destroy_decompress(&src);
    fail("{}: cannot add restart markers: {}", what, err.message);
  }
  jpeg_mem_src(&src, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&src, TRUE);
  jvirt_barray_ptr* coefficients = jpeg_read_coefficients(&src);
  jpeg_copy_critical_parameters(&src, &dst);
  jpeg_mem_dest(&dst, &dest.data, &dest.size);
  const int mcu_w = src.num_components == 1 ? 8 : 8 * src.max_h_samp_factor;
  dst.restart_interval = static_cast<unsigned>(interval_for(static_cast<int>(src.image_width), mcu_w, restart_target));
  keep_ac_huffman_tables(src, dst);
  jpeg_write_coefficients(&dst, coefficients);
  jpeg_finish_compress(&dst);
  jpeg_finish_decompress(&src);
  jpeg_destroy_compress(&dst);
  jpeg_destroy_decompress(&src);
  return dest.bytes();
}

}  // namespace fastimg::codec
