#include "loader/beton_source.h"

#include <algorithm>

#include "util/error.h"

namespace fastimg::loader {

BetonSource::BetonSource(const std::string& path, const std::string& image_field, const std::string& label_field)
    : reader_(path) {
  image_field_ = reader_.field_index(image_field);
  const int label = reader_.field_index(label_field);
  if (reader_.fields()[image_field_].type != format::FieldType::kRGBImage)
    fail("{}: field '{}' is not an RGB image field", path, image_field);
  const uint64_t n = reader_.num_samples();
  labels_.resize(n);
  pages_.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    labels_[i] = reader_.int_value(i, label);
    pages_[i] = reader_.page_of(i);
    const format::ImageMeta m = reader_.image_meta(i, image_field_);
    max_decoded_bytes_ = std::max(max_decoded_bytes_, size_t{m.width} * m.height * 3);
  }
}

std::string BetonSource::sample_name(uint64_t sample) const {
  return reader_.path() + ": sample " + std::to_string(sample);
}

SampleData BetonSource::sample(uint64_t sample, std::vector<uint8_t>&) const {
  const format::ImageMeta m = reader_.image_meta(sample, image_field_);
  SampleData d;
  d.bytes = reader_.image_data(sample, image_field_);
  d.width = static_cast<int>(m.width);
  d.height = static_cast<int>(m.height);
  d.encoding = m.mode == static_cast<uint8_t>(format::ImageMode::kJpeg) ? SampleEncoding::kJpeg : SampleEncoding::kRaw;
  return d;
}

}  // namespace fastimg::loader
