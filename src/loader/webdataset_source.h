#pragma once
// WebDataset tar shards as a loader source.
//
// Indexing + mmap rather than streaming: at open, every shard's 512-byte tar headers are walked
// once (ustar prefix, GNU 'L' long names, pax 'path=' records) and each sample's image and label
// member located; the shards are then mapped read-only and a sample's bytes are a view into the
// mapping. Random access makes the orders exactly those of a .beton file (the per-epoch seeded
// shuffle over all samples, rank round-robin sharding), so results do not depend on the source;
// the quasi-random order gets the shard as the page id, so it shuffles shards and reads from a
// few open shards at a time (WebDataset's shard shuffle + bounded sample shuffle). The cost of the
// index is one pass over the headers (a seek per member; data pages are not touched).
//
// A sample is the group of members with the same key (the member path up to the first '.' of its
// file name); its image is the .jpg/.jpeg/.png member and its label the .cls member (an ASCII
// integer, or 8 bytes of little-endian int64). Other members are ignored. A sample without image
// or label, a truncated member and a malformed header are reported in open_problems() and left
// out; a shard that ends in the middle stops that shard's index there. Samples keep the tar order, shards the order of the path list.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "loader/source.h"

namespace fastimg::loader {

struct ShardSample {
  uint32_t shard = 0;
  uint64_t offset = 0, size = 0;  // the image member's data inside the shard
  int64_t label = 0;
  std::string key;
  bool jpeg = false;  // by extension (.jpg/.jpeg)
};

// The samples of one tar image in memory (bytes of a whole shard), problems appended as
// "<name>: <member>: <what>". Exposed for tests and `fastimg write --from-webdataset`.
std::vector<ShardSample> index_tar(std::span<const uint8_t> tar, const std::string& name, uint32_t shard,
                                   std::vector<std::string>& problems);

class WebDatasetSource final : public Source {
 public:
  // path: a .tar file, a glob or a brace list (see expand_shard_paths).
  explicit WebDatasetSource(const std::string& path);
  ~WebDatasetSource() override;

  SourceKind kind() const override { return SourceKind::kWebDataset; }
  const std::string& path() const override { return path_; }
  uint64_t num_samples() const override { return samples_.size(); }
  int64_t label(uint64_t sample) const override { return samples_[sample].label; }
  uint64_t page_of(uint64_t sample) const override { return samples_[sample].shard; }
  std::string sample_name(uint64_t sample) const override;
  SampleData sample(uint64_t sample, std::vector<uint8_t>& buffer) const override;
  const std::vector<std::string>& open_problems() const override { return problems_; }
  void advise_sequential() const override;

  const std::vector<std::string>& shards() const { return shard_paths_; }
  const std::vector<ShardSample>& samples() const { return samples_; }

 private:
  struct Mapping {
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  std::string path_;
  std::vector<std::string> shard_paths_;
  std::vector<Mapping> maps_;
  std::vector<ShardSample> samples_;
  std::vector<std::string> problems_;
};

}  // namespace fastimg::loader
