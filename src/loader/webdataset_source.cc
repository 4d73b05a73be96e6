#include "loader/webdataset_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "util/error.h"

namespace fastimg::loader {
namespace {

constexpr size_t kBlock = 512;

std::string_view field(const uint8_t* header, size_t offset, size_t length) {
  const char* p = reinterpret_cast<const char*>(header + offset);
  return {p, strnlen(p, length)};
}

// Octal (NUL/space padded) or GNU base-256 (high bit of the first byte set). False if malformed.
bool parse_size(const uint8_t* header, uint64_t& out) {
  const uint8_t* p = header + 124;
  if (p[0] & 0x80) {
    uint64_t v = p[0] & 0x7F;
    for (int i = 1; i < 12; ++i) v = (v << 8) | p[i];
    out = v;
    return true;
  }
  uint64_t v = 0;
  int i = 0;
  while (i < 12 && p[i] == ' ') ++i;
  bool any = false;
  for (; i < 12 && p[i] >= '0' && p[i] <= '7'; ++i) {
    v = v * 8 + static_cast<uint64_t>(p[i] - '0');
    any = true;
  }
  if (!any) return false;
  for (; i < 12; ++i)
    if (p[i] != 0 && p[i] != ' ') return false;
  out = v;
  return true;
}

bool checksum_ok(const uint8_t* header) {
  uint64_t stored = 0;
  {
    std::string_view s = field(header, 148, 8);
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '7'; ++i) stored = stored * 8 + static_cast<uint64_t>(s[i] - '0');
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? uint64_t{' '} : header[i];
  return sum == stored;
}

bool all_zero(const uint8_t* block) {
  for (size_t i = 0; i < kBlock; ++i)
    if (block[i]) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "dir/key.ext.more" -> key "dir/key", extension "ext.more" (WebDataset's rule: the first dot of
// the file name).
void split_key(std::string_view path, std::string& key, std::string& ext) {
  const size_t slash = path.rfind('/');
  const size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  const size_t dot = path.find('.', name_start);
  if (dot == std::string_view::npos) {
    key = std::string(path);
    ext.clear();
  } else {
    key = std::string(path.substr(0, dot));
    ext = lower(path.substr(dot + 1));
  }
}

// The value of "path=" in a pax extended header, or empty.
std::string pax_path(std::span<const uint8_t> data) {
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  while (!s.empty()) {
    size_t len = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), len);
    if (ec != std::errc() || len == 0 || len > s.size()) return {};
    std::string_view record = s.substr(0, len);
    s.remove_prefix(len);
    const size_t space = record.find(' ');
    if (space == std::string_view::npos) continue;
    record.remove_prefix(space + 1);
    if (record.starts_with("path=")) {
      record.remove_prefix(5);
      if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
      return std::string(record);
    }
  }
  return {};
}

bool ascii_number_char(uint8_t c) { return (c >= '0' && c <= '9') || c == '+' || c == '-' || std::isspace(c); }

// An ASCII integer (webdataset's own encoding), or 8 bytes of little-endian int64 (numpy's
// tobytes()). An 8-byte member of digits and blanks ("1234567\n") is read as ASCII: as an int64 it
// would be above 10^17, no label; any other 8 bytes (NULs included) are an int64.
bool parse_label(std::span<const uint8_t> data, int64_t& out) {
  if (data.size() == 8 && !std::all_of(data.begin(), data.end(), ascii_number_char)) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | data[static_cast<size_t>(i)];
    out = static_cast<int64_t>(v);
    return out >= 0;
  }
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '\0')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

struct Partial {
  bool has_image = false, has_label = false, bad_label = false;
  ShardSample sample;
};

}  // namespace

std::vector<ShardSample> index_tar(std::span<const uint8_t> tar, const std::string& name, uint32_t shard,
                                   std::vector<std::string>& problems) {
  std::vector<Partial> partials;
  std::unordered_map<std::string, size_t> by_key;
  std::string long_name;
  size_t pos = 0;
  while (pos + kBlock <= tar.size()) {
    const uint8_t* h = tar.data() + pos;
    if (all_zero(h)) break;  // end of archive
    uint64_t size = 0;
    if (!checksum_ok(h) || !parse_size(h, size)) {
      problems.push_back(fmt::format("{}: offset {}: malformed tar header; rest of the shard ignored", name, pos));
      break;
    }
    const char type = static_cast<char>(h[156]);
    const uint64_t data_at = pos + kBlock;
    std::string member;
    if (!long_name.empty()) {
      member = std::move(long_name);
      long_name.clear();
    } else {
      const std::string_view prefix = field(h, 345, 155);
      const bool ustar = std::memcmp(h + 257, "ustar", 5) == 0;
      member = std::string(field(h, 0, 100));
      if (ustar && !prefix.empty() && std::memcmp(h + 257, "ustar\0", 6) == 0) member = std::string(prefix) + "/" + member;
    }
    if (data_at + size > tar.size()) {
      problems.push_back(fmt::format("{}: {}: truncated member ({} of {} bytes); rest of the shard ignored", name,
                                     member, tar.size() - std::min<uint64_t>(data_at, tar.size()), size));
      break;
    }
    const std::span<const uint8_t> data = tar.subspan(data_at, size);
    pos = data_at + (size + kBlock - 1) / kBlock * kBlock;
    if (type == 'L') {  // GNU long name of the next member
      long_name = std::string(reinterpret_cast<const char*>(data.data()), strnlen(reinterpret_cast<const char*>(data.data()), data.size()));
      continue;
    }
    if (type == 'x') {  // pax extended header of the next member
      long_name = pax_path(data);
      continue;
    }
    if (type != '0' && type != '\0' && type != '7') continue;  // directories, links, global pax headers
    std::string key, ext;
    split_key(member, key, ext);
    const bool image = ext == "jpg" || ext == "jpeg" || ext == "png";
    const bool label = ext == "cls";
    if (!image && !label) continue;
    auto [it, inserted] = by_key.try_emplace(key, partials.size());
    if (inserted) {
      partials.emplace_back();
      partials.back().sample.key = key;
      partials.back().sample.shard = shard;
    }
    Partial& p = partials[it->second];
    if (image) {
      p.has_image = true;
      p.sample.offset = data_at;
      p.sample.size = size;
      p.sample.jpeg = ext != "png";
    } else if (parse_label(data, p.sample.label)) {
      p.has_label = true;
    } else {
      p.bad_label = true;
    }
  }
  std::vector<ShardSample> out;
  out.reserve(partials.size());
  for (Partial& p : partials) {
    if (!p.has_image) {
      problems.push_back(fmt::format("{}: {}: no .jpg/.jpeg/.png member; sample skipped", name, p.sample.key));
    } else if (p.bad_label) {
      problems.push_back(fmt::format("{}: {}: .cls is neither a non-negative ASCII integer nor an 8-byte int64; sample skipped", name, p.sample.key));
    } else if (!p.has_label) {
      problems.push_back(fmt::format("{}: {}: no .cls label; sample skipped", name, p.sample.key));
    } else {
      out.push_back(std::move(p.sample));
    }
  }
  return out;
}

WebDatasetSource::WebDatasetSource(const std::string& path) : path_(path), shard_paths_(expand_shard_paths(path)) {
  for (size_t s = 0; s < shard_paths_.size(); ++s) {
    const std::string& file = shard_paths_[s];
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("{}: cannot open: {}", file, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      fail("{}: cannot stat: {}", file, std::strerror(errno));
    }
    Mapping m;
    m.size = static_cast<size_t>(st.st_size);
    if (m.size > 0) {
      void* p = ::mmap(nullptr, m.size, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        fail("{}: cannot map: {}", file, std::strerror(errno));
      }
      m.data = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    maps_.push_back(m);
    auto samples = index_tar({m.data, m.size}, file, static_cast<uint32_t>(s), problems_);
    for (auto& x : samples) samples_.push_back(std::move(x));
  }
  if (samples_.empty()) fail("{}: no samples (image + .cls) in {} tar shard(s)", path, shard_paths_.size());
}

WebDatasetSource::~WebDatasetSource() {
  for (const Mapping& m : maps_)
    if (m.data) ::munmap(const_cast<uint8_t*>(m.data), m.size);
}

std::string WebDatasetSource::sample_name(uint64_t sample) const {
  const ShardSample& s = samples_[sample];
  return shard_paths_[s.shard] + ": " + s.key;
}

SampleData WebDatasetSource::sample(uint64_t sample, std::vector<uint8_t>&) const {
  const ShardSample& s = samples_[sample];
  SampleData d;
  d.bytes = {maps_[s.shard].data + s.offset, s.size};
  d.encoding = s.jpeg ? SampleEncoding::kJpeg : SampleEncoding::kEncoded;
  return d;
}

void WebDatasetSource::advise_sequential() const {
  for (const Mapping& m : maps_)
    if (m.data) ::madvise(const_cast<uint8_t*>(m.data), m.size, MADV_WILLNEED);
}

}  // namespace fastimg::loader
