#pragma once
// The file list of an ImageFolder, cached in the run directory so that a restart or a resumed run
// does not list a million files again.
//
// The cache file, "<cache_dir>/imagefolder-<16 hex digits of FNV-1a(absolute root)>.list", holds
// the absolute root, the class names, each class's file names, and a fingerprint: the modification
// and change times (ns) of the root and of every class folder. Adding, removing or renaming a class
// or a file changes its folder's times, so a fingerprint that still matches means the list is
// current; the folders are stat()ed, not listed. A folder changed within `racy_window` before the
// scan began may have changed again in the same clock tick after it (file system timestamps are
// coarse), so such a cache is not trusted: it is rebuilt, and trusted once the folders are older.
// The file is written atomically; one that is stale, corrupt or for another root is rebuilt, and
// one that cannot be written leaves the run uncached.
#include <chrono>
#include <string>

#include "format/writer.h"

namespace fastimg::loader {

struct ImageFolderListOptions {
  std::string cache_dir;  // "" = no cache: scan every time
  int threads = 0;        // class folders listed in parallel (0 = up to 8)
  std::chrono::nanoseconds racy_window = std::chrono::seconds(2);
};

struct ImageFolderList {
  format::ImageFolder folder;
  bool from_cache = false;  // read from the cache file (no listing)
  std::string cache_path;   // "" without a cache_dir
};

ImageFolderList load_imagefolder_list(const std::string& dir, const ImageFolderListOptions& options);

// Where the list of `dir` is cached under cache_dir.
std::string imagefolder_cache_path(const std::string& dir, const std::string& cache_dir);

}  // namespace fastimg::loader
