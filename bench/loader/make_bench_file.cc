// Writes a benchmark .beton from a flat folder of images, replicated to COUNT samples:
//   make_bench_file DIR OUT COUNT [max_res=512] [jpeg_fraction=1] [quality=90]
// (the `fastimg write` command needs class sub-folders; this takes any folder, labels = index % 1000).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "codec/image.h"
#include "format/writer.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DIR OUT COUNT [max_res] [jpeg_fraction] [quality]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(argv[1])) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  fastimg::format::LabeledImageSource src;
  src.size = std::strtoull(argv[3], nullptr, 10);
  src.name = [&](size_t i) { return files[i % files.size()]; };
  src.load = [&](size_t i) { return fastimg::codec::load_image_file(files[i % files.size()]); };
  src.label = [](size_t i) { return static_cast<int64_t>(i % 1000); };
  fastimg::format::WriterOptions o;
  o.max_resolution = argc > 4 ? std::atoi(argv[4]) : 512;
  o.jpeg_fraction = argc > 5 ? std::atof(argv[5]) : 1.0;
  o.jpeg_quality = argc > 6 ? std::atoi(argv[6]) : 90;
  try {
    auto r = fastimg::format::write_images(src, argv[2], o);
    std::printf("wrote %llu samples (%llu jpeg, %llu raw), %llu bytes in %.1f s\n", (unsigned long long)r.written,
                (unsigned long long)r.jpeg, (unsigned long long)r.raw, (unsigned long long)r.bytes, r.seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
