#include "loader/source.h"

#include <glob.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "loader/beton_source.h"
#include "loader/imagefolder_source.h"
#include "loader/webdataset_source.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

bool parse_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Expands the first {a,b,...} or {N..M} (zero padded to the width of N) recursively.
void expand_braces(const std::string& pattern, std::vector<std::string>& out) {
  const size_t open = pattern.find('{');
  if (open == std::string::npos) {
    out.push_back(pattern);
    return;
  }
  const size_t close = pattern.find('}', open);
  if (close == std::string::npos) fail("{}: unmatched '{{' in the shard list", pattern);
  const std::string head = pattern.substr(0, open), tail = pattern.substr(close + 1);
  const std::string body = pattern.substr(open + 1, close - open - 1);
  const size_t dots = body.find("..");
  uint64_t lo = 0, hi = 0;
  if (dots != std::string::npos && parse_uint(body.substr(0, dots), lo) && parse_uint(body.substr(dots + 2), hi)) {
    if (hi < lo) fail("{}: empty range {{{}}}", pattern, body);
    if (hi - lo > 10'000'000) fail("{}: range {{{}}} too large", pattern, body);
    const size_t width = dots;
    for (uint64_t v = lo; v <= hi; ++v) {
      std::string n = std::to_string(v);
      if (n.size() < width) n.insert(0, width - n.size(), '0');
      expand_braces(head + n + tail, out);
    }
    return;
  }
  size_t start = 0;
  while (true) {
    const size_t comma = body.find(',', start);
    expand_braces(head + body.substr(start, comma - start) + tail, out);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

bool is_shard_path(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))  // an existing name is taken literally, even with '[' or '{' in it
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ".tar") == 0 && !std::filesystem::is_directory(path, ec);
  return path.find('{') != std::string::npos || has_glob_chars(path) ||
         (path.size() >= 4 && path.compare(path.size() - 4, 4, ".tar") == 0);
}

std::vector<std::string> expand_shard_paths(const std::string& path) {
  std::vector<std::string> patterns, files;
  expand_braces(path, patterns);
  for (const std::string& p : patterns) {
    std::error_code exists_ec;
    if (!has_glob_chars(p) || std::filesystem::is_regular_file(p, exists_ec)) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(p, ec)) fail("{}: no such tar shard", p);
      files.push_back(p);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(p.c_str(), 0, nullptr, &g);
    if (rc == GLOB_NOMATCH) {
      ::globfree(&g);
      fail("{}: no file matches", p);
    }
    if (rc != 0) {
      ::globfree(&g);
      fail("{}: cannot expand the glob", p);
    }
    std::vector<std::string> matched(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    ::globfree(&g);
    std::sort(matched.begin(), matched.end());
    for (auto& m : matched) files.push_back(std::move(m));
  }
  if (files.empty()) fail("{}: no tar shards", path);
  return files;
}

std::unique_ptr<Source> open_source(const std::string& path, const std::string& image_field,
                                    const std::string& label_field, const std::string& list_cache_dir) {
  namespace fs = std::filesystem;
  if (path.empty()) fail("data path is empty (expected a .beton file, an ImageFolder directory or .tar shards)");
  std::error_code ec;
  if (is_shard_path(path)) return std::make_unique<WebDatasetSource>(path);
  if (fs::is_directory(path, ec)) {
    ImageFolderListOptions list_options;
    list_options.cache_dir = list_cache_dir;
    return std::make_unique<ImageFolderSource>(path, list_options);
  }
  if (!fs::exists(path, ec))
    fail("{}: no such file or directory (expected a .beton file, an ImageFolder directory or .tar shards)", path);
  return std::make_unique<BetonSource>(path, image_field, label_field);
}

}  // namespace fastimg::loader
