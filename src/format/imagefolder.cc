// ImageFolder (torchvision's layout: DIR/<class>/<image>) as a labelled image source.
#include <algorithm>
#include <filesystem>
#include <system_error>

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

ImageFolder scan_imagefolder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: not a directory (expected DIR/<class>/<image> folders)", dir);
  ImageFolder folder;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory()) folder.classes.push_back(entry.path().filename().string());
  if (ec) fail("{}: cannot list: {}", dir, ec.message());
  // std::string's operator< compares bytes, like Python's sorted() on ASCII names.
  std::sort(folder.classes.begin(), folder.classes.end());
  for (size_t label = 0; label < folder.classes.size(); ++label) {
    const fs::path class_dir = fs::path(dir) / folder.classes[label];
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(class_dir, ec))
      if (entry.is_regular_file() && has_image_extension(entry.path())) files.push_back(entry.path().string());
    if (ec) fail("{}: cannot list: {}", class_dir.string(), ec.message());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      folder.paths.push_back(std::move(f));
      folder.labels.push_back(static_cast<int64_t>(label));
    }
  }
  if (folder.classes.empty()) fail("{}: no class folders (expected DIR/<class>/<image>)", dir);
  if (folder.paths.empty()) fail("{}: no images in {} class folders", dir, folder.classes.size());
  return folder;
}

WriteReport write_imagefolder(const std::string& dir, const std::string& out_path, const WriterOptions& options) {
  ImageFolder folder = scan_imagefolder(dir);
  LabeledImageSource source;
  source.size = folder.paths.size();
  source.name = [&](size_t i) { return folder.paths[i]; };
  source.load = [&](size_t i) { return codec::load_image_file(folder.paths[i]); };
  source.label = [&](size_t i) { return folder.labels[i]; };
  return write_images(source, out_path, options);
}

}  // namespace fastimg::format
