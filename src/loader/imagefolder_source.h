#pragma once
// An ImageFolder directory (DIR/<class>/<image>, torchvision's layout) as a loader source.
//
// The file list comes from format::scan_imagefolder (classes in sorted byte order, files sorted
// within each class, class folders listed in parallel), built once when the source opens and, given
// a cache directory (the run directory), kept there for the next open (imagefolder_cache.h). Reading a sample
// is one open + fstat + read + close into the calling thread's reusable buffer; files larger than
// 256 KiB get a POSIX_FADV_WILLNEED hint first so the kernel reads them in one go. An empty class
// folder, a folder with no images and a missing directory are one-line errors.
#include <string>
#include <vector>

#include "format/writer.h"
#include "loader/imagefolder_cache.h"
#include "loader/source.h"

namespace fastimg::loader {

class ImageFolderSource final : public Source {
 public:
  explicit ImageFolderSource(const std::string& dir, const ImageFolderListOptions& list_options = {});

  SourceKind kind() const override { return SourceKind::kImageFolder; }
  const std::string& path() const override { return dir_; }
  uint64_t num_samples() const override { return folder_.paths.size(); }
  int64_t label(uint64_t sample) const override { return folder_.labels[sample]; }
  // Runs of 64 consecutive files (same class folder, neighbouring names).
  uint64_t page_of(uint64_t sample) const override { return sample / 64; }
  std::string sample_name(uint64_t sample) const override { return folder_.paths[sample]; }
  SampleData sample(uint64_t sample, std::vector<uint8_t>& buffer) const override;
  const std::vector<std::string>& open_problems() const override { return problems_; }

  const format::ImageFolder& folder() const { return folder_; }
  bool list_from_cache() const { return list_from_cache_; }

 private:
  std::string dir_;
  format::ImageFolder folder_;
  bool list_from_cache_ = false;
  std::vector<std::string> problems_;
};

// One read of a whole file into buffer (resized to the file's size); throws naming the file.
void read_file_into(const std::string& path, std::vector<uint8_t>& buffer);

}  // namespace fastimg::loader
