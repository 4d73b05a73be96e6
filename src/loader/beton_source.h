#pragma once
// A .beton file as a loader source: zero-copy views into the mapping; raw samples keep their
// decode-free path.
#include <string>

#include "format/reader.h"
#include "loader/source.h"

namespace fastimg::loader {

class BetonSource final : public Source {
 public:
  BetonSource(const std::string& path, const std::string& image_field, const std::string& label_field);

  SourceKind kind() const override { return SourceKind::kBeton; }
  const std::string& path() const override { return reader_.path(); }
  uint64_t num_samples() const override { return reader_.num_samples(); }
  int64_t label(uint64_t sample) const override { return labels_[sample]; }
  uint64_t page_of(uint64_t sample) const override { return pages_[sample]; }
  std::string sample_name(uint64_t sample) const override;
  SampleData sample(uint64_t sample, std::vector<uint8_t>& buffer) const override;
  size_t max_decoded_bytes() const override { return max_decoded_bytes_; }
  const std::vector<std::string>& open_problems() const override { return problems_; }
  void advise_sequential() const override { reader_.advise_sequential(); }

  const format::Reader& reader() const { return reader_; }
  int image_field() const { return image_field_; }

 private:
  format::Reader reader_;
  int image_field_ = -1;
  std::vector<int64_t> labels_;
  std::vector<uint64_t> pages_;
  size_t max_decoded_bytes_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace fastimg::loader
