// ImageFolder (torchvision's layout: DIR/<class>/<image>) as a labelled image source.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>
#include <vector>

#include "format/writer.h"
#include "util/error.h"

namespace fastimg::format {
namespace {

bool has_image_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"})
    if (ext == known) return true;
  return false;
}

}  // namespace

ImageFolder scan_imagefolder(const std::string& dir, int threads) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: not a directory (expected DIR/<class>/<image> folders)", dir);
  ImageFolder folder;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory()) folder.classes.push_back(entry.path().filename().string());
  if (ec) fail("{}: cannot list: {}", dir, ec.message());
  if (folder.classes.empty()) fail("{}: no class folders (expected DIR/<class>/<image>)", dir);
  // std::string's operator< compares bytes, like Python's sorted() on ASCII names.
  std::sort(folder.classes.begin(), folder.classes.end());

  // Listing a class folder is a round trip to the file system (slow on network storage): a few
  // threads list different classes; each class's files land in its own slot, so the result is the
  // same for any thread count.
  const size_t n = folder.classes.size();
  std::vector<std::vector<std::string>> files(n);
  std::vector<std::string> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t c = next.fetch_add(1); c < n; c = next.fetch_add(1)) {
      const fs::path class_dir = fs::path(dir) / folder.classes[c];
      std::error_code list_ec;
      for (const auto& entry : fs::directory_iterator(class_dir, list_ec))
        // Not only regular files: a dangling symlink or unreadable entry is listed, so that reading it
        // reports and counts it like a corrupt image instead of it silently not being there.
        if (!entry.is_directory() && has_image_extension(entry.path())) files[c].push_back(entry.path().string());
      if (list_ec) errors[c] = fmt::format("{}: cannot list: {}", class_dir.string(), list_ec.message());
      std::sort(files[c].begin(), files[c].end());
    }
  };
  if (threads <= 0) threads = static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
  const size_t pool_size = std::min<size_t>(static_cast<size_t>(threads), n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < pool_size; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const std::string& e : errors)
    if (!e.empty()) throw Error(e);

  size_t total = 0;
  for (const auto& f : files) total += f.size();
  folder.paths.reserve(total);
  folder.labels.reserve(total);
  for (size_t label = 0; label < n; ++label)
    for (auto& f : files[label]) {
      folder.paths.push_back(std::move(f));
      folder.labels.push_back(static_cast<int64_t>(label));
    }
  if (folder.paths.empty()) fail("{}: no images in {} class folders", dir, folder.classes.size());
  return folder;
}

WriteReport write_imagefolder(const std::string& dir, const std::string& out_path, const WriterOptions& options) {
  ImageFolder folder = scan_imagefolder(dir);
  LabeledImageSource source;
  source.size = folder.paths.size();
  source.name = [&](size_t i) { return folder.paths[i]; };
  source.read = [&](size_t i) { return codec::read_file(folder.paths[i]); };
  source.label = [&](size_t i) { return folder.labels[i]; };
  return write_images(source, out_path, options);
}

}  // namespace fastimg::format
