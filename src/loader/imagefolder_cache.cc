#include "loader/imagefolder_cache.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <time.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/atomic_file.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "fastimg-imagefolder-list 1\n";

// What changes when entries are added to, removed from or renamed in a folder (or the folder is
// replaced by another one).
struct Stamp {
  uint64_t ino = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const Stamp&) const = default;
};

std::optional<Stamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto ns = [](const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  return Stamp{static_cast<uint64_t>(st.st_ino), ns(st.st_mtim), ns(st.st_ctim)};
}

int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string class_dir(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

// The file: the magic line, then tokens each ended by '\n': numbers in decimal, strings as
// "<length>:<bytes>" (names may hold any byte but '/' and NUL).
struct Out {
  std::string s;
  void num(int64_t v) { s += fmt::format("{}\n", v); }
  void str(std::string_view v) {
    s += fmt::format("{}:", v.size());
    s += v;
    s += '\n';
  }
};

struct CorruptCache {};

struct In {
  std::string_view s;
  int64_t num() {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p == s.data() + s.size() || *p != '\n') throw CorruptCache{};
    s.remove_prefix(static_cast<size_t>(p - s.data()) + 1);
    return v;
  }
  std::string str() {
    size_t len = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), len);
    if (ec != std::errc() || p == s.data() + s.size() || *p != ':') throw CorruptCache{};
    const size_t start = static_cast<size_t>(p - s.data()) + 1;
    if (len > s.size() - start || start + len >= s.size() || s[start + len] != '\n') throw CorruptCache{};
    std::string v(s.substr(start, len));
    s.remove_prefix(start + len + 1);
    return v;
  }
};

void put_stamp(Out& out, const Stamp& st) {
  out.num(static_cast<int64_t>(st.ino));
  out.num(st.mtime_ns);
  out.num(st.ctime_ns);
}

Stamp get_stamp(In& in) {
  Stamp st;
  st.ino = static_cast<uint64_t>(in.num());
  st.mtime_ns = in.num();
  st.ctime_ns = in.num();
  return st;
}

// Folders changed at most racy_window before the scan cannot be told apart from folders changed
// again right after it.
bool trusted(const Stamp& st, int64_t scanned_at_ns, const ImageFolderListOptions& o) {
  const int64_t limit = scanned_at_ns - static_cast<int64_t>(o.racy_window.count());
  return st.mtime_ns < limit && st.ctime_ns < limit;
}

// The cached list if the file exists, is for this root and still matches the folders.
std::optional<format::ImageFolder> read_cache(const std::string& cache_path, const std::string& dir,
                                              const std::string& root, const ImageFolderListOptions& o) {
  std::ifstream f(cache_path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream buffer;
  buffer << f.rdbuf();
  const std::string text = buffer.str();
  if (!std::string_view(text).starts_with(kMagic)) return std::nullopt;
  try {
    In in{std::string_view(text).substr(kMagic.size())};
    if (in.str() != root) return std::nullopt;  // another root with the same hash
    const int64_t scanned_at = in.num();
    const Stamp root_stamp = get_stamp(in);
    if (stamp_of(dir) != root_stamp || !trusted(root_stamp, scanned_at, o)) return std::nullopt;
    const int64_t classes = in.num();
    if (classes <= 0) return std::nullopt;
    format::ImageFolder folder;
    for (int64_t c = 0; c < classes; ++c) {
      folder.classes.push_back(in.str());
      const std::string cdir = class_dir(dir, folder.classes.back());
      const Stamp st = get_stamp(in);
      if (stamp_of(cdir) != st || !trusted(st, scanned_at, o)) return std::nullopt;
      const int64_t files = in.num();
      if (files < 0) return std::nullopt;
      for (int64_t i = 0; i < files; ++i) {
        folder.paths.push_back((fs::path(cdir) / in.str()).string());
        folder.labels.push_back(c);
      }
    }
    if (!in.s.empty() || folder.paths.empty()) return std::nullopt;
    return folder;
  } catch (const CorruptCache&) {
    return std::nullopt;
  }
}

// Best effort: a run directory that cannot be written only costs the next run a scan.
void write_cache(const std::string& cache_path, const std::string& dir, const std::string& root,
                 const format::ImageFolder& folder, int64_t scanned_at) {
  Out out;
  out.s = kMagic;
  out.str(root);
  out.num(scanned_at);
  const std::optional<Stamp> root_stamp = stamp_of(dir);
  if (!root_stamp) return;
  put_stamp(out, *root_stamp);
  out.num(static_cast<int64_t>(folder.classes.size()));
  size_t i = 0;
  for (size_t c = 0; c < folder.classes.size(); ++c) {
    const std::string cdir = class_dir(dir, folder.classes[c]);
    const std::optional<Stamp> st = stamp_of(cdir);
    if (!st) return;
    out.str(folder.classes[c]);
    put_stamp(out, *st);
    const size_t first = i;
    while (i < folder.labels.size() && folder.labels[i] == static_cast<int64_t>(c)) ++i;
    out.num(static_cast<int64_t>(i - first));
    for (size_t k = first; k < i; ++k) out.str(fs::path(folder.paths[k]).filename().string());
  }
  try {
    std::error_code ec;
    fs::create_directories(fs::path(cache_path).parent_path(), ec);
    write_file_atomically(cache_path, out.s);
  } catch (const std::exception&) {
  }
}

std::string absolute_root(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::canonical(dir, ec);
  return ec ? std::string() : p.string();
}

}  // namespace

std::string imagefolder_cache_path(const std::string& dir, const std::string& cache_dir) {
  const std::string root = absolute_root(dir);
  if (cache_dir.empty() || root.empty()) return {};
  return (fs::path(cache_dir) / fmt::format("imagefolder-{:016x}.list", fnv1a(root))).string();
}

ImageFolderList load_imagefolder_list(const std::string& dir, const ImageFolderListOptions& options) {
  ImageFolderList list;
  list.cache_path = imagefolder_cache_path(dir, options.cache_dir);
  const std::string root = absolute_root(dir);
  if (!list.cache_path.empty()) {
    if (auto cached = read_cache(list.cache_path, dir, root, options)) {
      list.folder = std::move(*cached);
      list.from_cache = true;
      return list;
    }
  }
  // Taken before listing: a folder changed during the scan is newer than this, hence not trusted.
  const int64_t scanned_at = now_ns();
  list.folder = format::scan_imagefolder(dir, options.threads);
  if (!list.cache_path.empty()) write_cache(list.cache_path, dir, root, list.folder, scanned_at);
  return list;
}

}  // namespace fastimg::loader
