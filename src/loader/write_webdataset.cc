#include "loader/write_webdataset.h"

#include "codec/image.h"
#include "loader/webdataset_source.h"
#include "util/error.h"

namespace fastimg::loader {

format::WriteReport write_webdataset(const std::string& shards, const std::string& out_path,
                                     const format::WriterOptions& options) {
  // The shard index gives each sample's image bytes as a view into the mapped shards.
  const WebDatasetSource source(shards);
  if (options.strict && !source.open_problems().empty())
    fail("{}: {} (strict)", shards, source.open_problems().front());
  format::LabeledImageSource images;
  images.size = source.num_samples();
  images.name = [&](size_t i) { return source.sample_name(i); };
  images.read = [&](size_t i) {
    std::vector<uint8_t> scratch;
    const auto bytes = source.sample(i, scratch).bytes;
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
  };
  images.label = [&](size_t i) { return source.label(i); };
  format::WriteReport report = format::write_images(images, out_path, options);
  report.errors.insert(report.errors.begin(), source.open_problems().begin(), source.open_problems().end());
  return report;
}

}  // namespace fastimg::loader
