// decode_image: every input the writer accepts, detected by content, converted to 8-bit RGB.
#include <setjmp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "codec/image.h"
#include "codec/png_decode.h"
#include "util/error.h"

namespace fastimg::codec {
namespace {

// libjpeg's default error handler calls exit(); ours jumps back to decode_jpeg with the message.
struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  err->mgr.format_message(cinfo, err->message);
  longjmp(err->jump, 1);
}

// Warnings are ignored (ImageNet has files with extraneous bytes that decode fine), except
// truncation: libjpeg pads the missing data with grey and calls it a warning.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (level == -1 && err->mgr.msg_code == JWRN_JPEG_EOF) {
    err->mgr.format_message(cinfo, err->message);
    std::strncat(err->message, " (truncated file)", sizeof(err->message) - std::strlen(err->message) - 1);
    longjmp(err->jump, 1);
  }
}

// Converts one row of decoded CMYK to RGB. Adobe (Photoshop) files store inverted CMYK, i.e. the
// values are 255 - ink; then R = C * K / 255. Without the Adobe marker ink is stored as is.
void cmyk_row_to_rgb(const uint8_t* cmyk, uint8_t* rgb, int width, bool inverted) {
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    if (!inverted) {
      c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
    }
    rgb[0] = static_cast<uint8_t>((c * k + 127) / 255);
    rgb[1] = static_cast<uint8_t>((m * k + 127) / 255);
    rgb[2] = static_cast<uint8_t>((y * k + 127) / 255);
  }
}

// The libjpeg state lives in this frame only; no C++ object with a destructor is created between
// setjmp and the last libjpeg call, so longjmp skips nothing that needs unwinding.
bool decode_jpeg_into(std::span<const uint8_t> bytes, Image& out, std::vector<uint8_t>& cmyk, char* message) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_message;
  err.message[0] = 0;
  if (setjmp(err.jump)) {
    std::memcpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  bool four_channel = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  // libjpeg-turbo converts grayscale and YCbCr to RGB itself; CMYK/YCCK come out as CMYK.
  cinfo.out_color_space = four_channel ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(cinfo.output_height);
  out.resize(w, h);
  if (four_channel) cmyk.resize(static_cast<size_t>(w) * 4);
  const bool inverted = cinfo.saw_Adobe_marker;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* row = out.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * w * 3;
    JSAMPROW rows[1] = {four_channel ? cmyk.data() : row};
    jpeg_read_scanlines(&cinfo, rows, 1);
    if (four_channel) cmyk_row_to_rgb(cmyk.data(), row, w, inverted);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Image decode_jpeg(std::span<const uint8_t> bytes, const std::string& what) {
  Image image;
  std::vector<uint8_t> cmyk;
  char message[JMSG_LENGTH_MAX];
  if (!decode_jpeg_into(bytes, image, cmyk, message)) fail("{}: corrupt JPEG: {}", what, message);
  return image;
}

// Anything else OpenCV reads (BMP, TIFF, WebP where built in).
Image decode_with_opencv(std::span<const uint8_t> bytes, const std::string& what) {
  cv::Mat bgr;
  try {
    cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    fail("{}: cannot decode image: {}", what, e.what());
  }
  if (bgr.empty() || bgr.type() != CV_8UC3) fail("{}: corrupt or unsupported image data", what);
  Image image;
  image.resize(bgr.cols, bgr.rows);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, image.pixels.data());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return image;
}

}  // namespace

Image decode_image(std::span<const uint8_t> bytes, const std::string& what) {
  if (bytes.empty()) fail("{}: empty file", what);
  if (is_jpeg(bytes)) return decode_jpeg(bytes, what);
  if (is_png(bytes)) return decode_png(bytes, what);
  return decode_with_opencv(bytes, what);
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("{}: cannot open: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    fail("{}: read failed", path);
  return bytes;
}

Image load_image_file(const std::string& path) { return decode_image(read_file(path), path); }

}  // namespace fastimg::codec
