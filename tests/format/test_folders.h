#pragma once
// ImageFolders for the format tests: the shared ImageNet sample split into classes (symlinks),
// and a folder of every input kind the writer must handle, good and bad.
#include <filesystem>
#include <string>
#include <vector>

#include "codec/test_images.h"
#include "test_support.h"

namespace fastimg::testing {

// DIR/c<k>/<file> -> shared imagenet-sample, file i in class i % classes.
inline std::filesystem::path make_sample_folder(const TempDir& tmp, int classes = 4, size_t limit = 1000) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(shared_dir() / "data/imagenet-sample")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  fs::path root = tmp / "imagefolder";
  for (int c = 0; c < classes; ++c) fs::create_directories(root / ("c" + std::to_string(c)));
  for (size_t i = 0; i < files.size() && i < limit; ++i)
    fs::create_symlink(fs::absolute(files[i]), root / ("c" + std::to_string(i % classes)) / files[i].filename());
  return root;
}

struct MixedFolder {
  std::filesystem::path root;
  int good = 0;
  std::vector<std::string> bad;  // paths of the files that must be skipped
};

// Every input kind: baseline/progressive/gray/CMYK JPEG, PNG, PNG named .JPEG, corrupt, truncated.
inline MixedFolder make_mixed_folder(const TempDir& tmp) {
  namespace fs = std::filesystem;
  MixedFolder m;
  m.root = tmp / "mixed";
  fs::create_directories(m.root / "a");
  fs::create_directories(m.root / "b");
  auto put = [&](const std::string& rel, const std::vector<uint8_t>& bytes, bool good) {
    write_bytes((m.root / rel).string(), bytes);
    if (good)
      ++m.good;
    else
      m.bad.push_back((m.root / rel).string());
  };
  codec::Image img = pattern_image(90, 70, 1);
  put("a/baseline.jpg", libjpeg_encode(img), true);
  JpegSpec prog;
  prog.progressive = true;
  put("a/progressive.JPEG", libjpeg_encode(img, prog), true);
  std::vector<uint8_t> gray(50 * 40, 128), cmyk(50 * 40 * 4, 60);
  JpegSpec g;
  g.in_space = JCS_GRAYSCALE;
  put("a/gray.jpeg", libjpeg_encode(gray.data(), 50, 40, g), true);
  JpegSpec c;
  c.in_space = JCS_CMYK;
  put("b/cmyk.jpg", libjpeg_encode(cmyk.data(), 50, 40, c), true);
  put("b/image.png", png_encode(pattern_image(31, 45, 2)), true);
  put("b/png-in-disguise.JPEG", png_encode(pattern_image(20, 20, 3)), true);
  std::vector<uint8_t> junk(300);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 13 + 1);
  put("b/corrupt.jpg", junk, false);
  auto full = libjpeg_encode(pattern_image(160, 120, 4));
  put("a/truncated.jpg", std::vector<uint8_t>(full.begin(), full.begin() + static_cast<long>(full.size() / 2)), false);
  write_bytes((m.root / "b/notes.txt").string(), {'h', 'i'});  // not an image extension: ignored
  return m;
}

}  // namespace fastimg::testing
