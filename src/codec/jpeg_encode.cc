// encode_jpeg: TurboJPEG baseline 4:2:0, the same stream kind OpenCV's imencode (FFCV) produces.
#include <turbojpeg.h>

#include "codec/image.h"
#include "util/error.h"

namespace fastimg::codec {
namespace {

// tjInitCompress allocates sizeable state; one handle per thread, freed at thread exit.
struct Compressor {
  tjhandle handle = tjInitCompress();
  ~Compressor() {
    if (handle) tjDestroy(handle);
  }
};

}  // namespace

std::vector<uint8_t> encode_jpeg(const ImageView& image, int quality) {
  thread_local Compressor compressor;
  if (!compressor.handle) fail("JPEG encoder: cannot initialise TurboJPEG: {}", tjGetErrorStr());
  if (image.width <= 0 || image.height <= 0) fail("JPEG encoder: empty image {}x{}", image.width, image.height);
  // Encode straight into a buffer of the worst-case size: no TurboJPEG-side allocation.
  std::vector<uint8_t> out(tjBufSize(image.width, image.height, TJSAMP_420));
  unsigned char* dst = out.data();
  unsigned long size = out.size();
  if (tjCompress2(compressor.handle, image.data, image.width, static_cast<int>(image.stride), image.height, TJPF_RGB,
                  &dst, &size, TJSAMP_420, quality, TJFLAG_NOREALLOC) != 0)
    fail("JPEG encoder: {}", tjGetErrorStr2(compressor.handle));
  out.resize(size);
  return out;
}

}  // namespace fastimg::codec
