#include "loader/imagefolder_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "codec/image.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

constexpr off_t kWillNeedBytes = 256 << 10;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void read_file_into(const std::string& path, std::vector<uint8_t>& buffer) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("{}: cannot stat: {}", path, std::strerror(errno));
  if (st.st_size >= kWillNeedBytes) ::posix_fadvise(fd.get(), 0, st.st_size, POSIX_FADV_WILLNEED);
  buffer.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < buffer.size()) {
    const ssize_t r = ::read(fd.get(), buffer.data() + got, buffer.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("{}: cannot read: {}", path, std::strerror(errno));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  if (got != buffer.size()) fail("{}: file shrank while reading ({} of {} bytes)", path, got, buffer.size());
  if (got == 0) fail("{}: empty file", path);
}

ImageFolderSource::ImageFolderSource(const std::string& dir, const ImageFolderListOptions& list_options) : dir_(dir) {
  ImageFolderList list = load_imagefolder_list(dir, list_options);
  folder_ = std::move(list.folder);
  list_from_cache_ = list.from_cache;
  // torchvision refuses a class folder without images (its label would never occur): so do we.
  std::vector<size_t> counts(folder_.classes.size(), 0);
  for (int64_t l : folder_.labels) ++counts[static_cast<size_t>(l)];
  for (size_t c = 0; c < counts.size(); ++c)
    if (counts[c] == 0) fail("{}: class folder '{}' has no images", dir, folder_.classes[c]);
}

SampleData ImageFolderSource::sample(uint64_t sample, std::vector<uint8_t>& buffer) const {
  read_file_into(folder_.paths[sample], buffer);
  SampleData d;
  d.bytes = buffer;
  const bool jpeg = codec::is_jpeg(buffer);
  d.encoding = jpeg ? SampleEncoding::kJpeg : SampleEncoding::kEncoded;
  return d;
}

}  // namespace fastimg::loader
