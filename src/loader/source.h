#pragma once
// Where the loader's samples come from: a .beton file, an ImageFolder directory, or WebDataset tar
// shards. A source gives the sample count, labels, a page (or shard) id per sample for the
// quasi-random order, and the encoded bytes of sample i; the loader does the rest (orders, rank
// sharding, decode, augmentation) identically for all of them.
//
// open_source() picks the kind from the path:
//  - a directory                                  -> ImageFolder (DIR/<class>/<image>)
//  - "*.tar", a glob ("train-*.tar") or a brace
//    list/range ("train-{000000..000009}.tar")    -> WebDataset shards
//  - any other existing file (.beton / .ffcv)     -> .beton
// A path that does not exist, or a glob that matches nothing, is a one-line fastimg::Error.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fastimg::loader {

enum class SampleEncoding {
  kRaw,      // HWC RGB pixels, width x height given (.beton raw samples)
  kJpeg,     // JPEG; width x height given when known (.beton), else 0 (read from the header)
  kEncoded,  // a file of unknown format (PNG, ...): decoded by content with codec::decode_image
};

struct SampleData {
  std::span<const uint8_t> bytes;
  SampleEncoding encoding = SampleEncoding::kEncoded;
  int width = 0, height = 0;  // 0 when not known before decoding
};

enum class SourceKind { kBeton, kImageFolder, kWebDataset };

class Source {
 public:
  virtual ~Source() = default;
  virtual SourceKind kind() const = 0;
  virtual const std::string& path() const = 0;
  virtual uint64_t num_samples() const = 0;
  virtual int64_t label(uint64_t sample) const = 0;
  // Page (.beton), file group (ImageFolder) or shard (WebDataset) of the sample.
  virtual uint64_t page_of(uint64_t sample) const = 0;
  // "file" or "shard.tar:member" for messages.
  virtual std::string sample_name(uint64_t sample) const = 0;
  // The sample's bytes: a view into a mapping, or into `buffer` (the calling thread's own, reused
  // from sample to sample). Throws fastimg::Error naming the sample if it cannot be read.
  virtual SampleData sample(uint64_t sample, std::vector<uint8_t>& buffer) const = 0;
  // Largest decoded image in bytes if known up front (decoder scratch is reserved to it), else 0.
  virtual size_t max_decoded_bytes() const { return 0; }
  // Problems found while opening (e.g. a tar member without a label): one "where: what" line each;
  // the samples concerned are not in the source.
  virtual const std::vector<std::string>& open_problems() const = 0;
  // Hint that samples will be read in file order (sequential loading).
  virtual void advise_sequential() const {}
};

// Image and label field names apply to .beton files only; list_cache_dir to ImageFolders (where
// their file list is cached, see imagefolder_cache.h; "" = not cached).
std::unique_ptr<Source> open_source(const std::string& path, const std::string& image_field = "image",
                                    const std::string& label_field = "label", const std::string& list_cache_dir = "");

// The file list a WebDataset path names: brace lists/ranges expanded, then globs; sorted per pattern.
std::vector<std::string> expand_shard_paths(const std::string& path);

// True if the path names WebDataset shards rather than a single file or directory.
bool is_shard_path(const std::string& path);

}  // namespace fastimg::loader
