#include "format/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>

#include "format/reader.h"

namespace fastimg::format {
namespace {

// Longest-side buckets around the usual training resolutions.
constexpr std::array<int, 12> kSideBuckets{64, 128, 160, 192, 224, 256, 320, 384, 448, 512, 768, 1024};

nlohmann::json read_side_car(const std::string& path) {
  std::ifstream in(path + ".json");
  if (!in) return nullptr;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return nullptr;
  json.erase("sources");
  json.erase("errors");
  return json;
}

}  // namespace

InspectSummary inspect(const std::string& path) {
  Reader reader(path);
  InspectSummary s;
  s.path = path;
  s.file_size = reader.file_size();
  s.header = reader.header();
  s.num_pages = reader.num_pages();
  for (const auto& f : reader.fields()) s.fields.emplace_back(f.name, f.type);

  const int image = reader.first_field_of_type(FieldType::kRGBImage);
  if (image >= 0) {
    s.image_field = reader.fields()[image].name;
    std::vector<uint64_t> buckets(kSideBuckets.size() + 1, 0);
    for (uint64_t i = 0; i < reader.num_samples(); ++i) {
      ImageMeta meta = reader.image_meta(i, image);
      (meta.mode == static_cast<uint8_t>(ImageMode::kJpeg) ? s.jpeg : s.raw)++;
      s.image_bytes += reader.image_data(i, image).size();
      const int side = std::max(meta.width, meta.height);
      s.min_side = i == 0 ? side : std::min(s.min_side, side);
      s.max_side = std::max(s.max_side, side);
      buckets[std::lower_bound(kSideBuckets.begin(), kSideBuckets.end(), side) - kSideBuckets.begin()]++;
    }
    for (size_t b = 0; b < buckets.size(); ++b) {
      if (!buckets[b]) continue;
      std::string label = b < kSideBuckets.size() ? fmt::format("<={}", kSideBuckets[b]) : fmt::format(">{}", kSideBuckets.back());
      s.size_histogram.emplace_back(label, buckets[b]);
    }
  }
  const int label = reader.first_field_of_type(FieldType::kInt);
  if (label >= 0) {
    s.label_field = reader.fields()[label].name;
    for (uint64_t i = 0; i < reader.num_samples(); ++i) s.label_histogram[reader.int_value(i, label)]++;
  }
  s.write_params = read_side_car(path);
  return s;
}

nlohmann::json to_json(const InspectSummary& s) {
  nlohmann::json j;
  j["path"] = s.path;
  j["file_size"] = s.file_size;
  j["header"] = {{"version", s.header.version},
                 {"num_fields", s.header.num_fields},
                 {"page_size", s.header.page_size},
                 {"num_samples", s.header.num_samples},
                 {"alloc_table_ptr", s.header.alloc_table_ptr}};
  j["num_samples"] = s.header.num_samples;
  j["num_pages"] = s.num_pages;
  j["fields"] = nlohmann::json::array();
  for (const auto& [name, type] : s.fields)
    j["fields"].push_back({{"name", name}, {"type", field_type_name(type)}, {"type_id", static_cast<int>(type)}});
  if (!s.image_field.empty()) {
    nlohmann::json hist = nlohmann::json::object();
    for (const auto& [bucket, count] : s.size_histogram) hist[bucket] = count;
    j["images"] = {{"field", s.image_field}, {"jpeg", s.jpeg},           {"raw", s.raw},
                   {"bytes", s.image_bytes}, {"min_side", s.min_side},  {"max_side", s.max_side},
                   {"longest_side_histogram", hist}};
  }
  if (!s.label_field.empty()) {
    nlohmann::json hist = nlohmann::json::object();
    for (const auto& [value, count] : s.label_histogram) hist[std::to_string(value)] = count;
    j["labels"] = {{"field", s.label_field}, {"num_classes", s.label_histogram.size()}, {"histogram", hist}};
  }
  j["write_params"] = s.write_params;
  return j;
}

std::string to_text(const InspectSummary& s) {
  std::string out = fmt::format("{}: {} samples, {} fields, {} pages of {} bytes, {:.1f} MiB\n", s.path,
                                s.header.num_samples, s.header.num_fields, s.num_pages, s.header.page_size,
                                s.file_size / 1048576.0);
  for (const auto& [name, type] : s.fields) out += fmt::format("  field {:<16} {}\n", name, field_type_name(type));
  if (!s.image_field.empty()) {
    uint64_t n = std::max<uint64_t>(s.header.num_samples, 1);
    out += fmt::format("images ({}): {} JPEG, {} raw, {:.1f} KiB/image on average, longest side {}..{}\n", s.image_field,
                       s.jpeg, s.raw, s.image_bytes / 1024.0 / n, s.min_side, s.max_side);
    for (const auto& [bucket, count] : s.size_histogram)
      out += fmt::format("  longest side {:>6}: {:>9} ({:.1f}%)\n", bucket, count, 100.0 * count / n);
  }
  if (!s.label_field.empty() && !s.label_histogram.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto& [value, count] : s.label_histogram) lo = std::min(lo, count), hi = std::max(hi, count);
    out += fmt::format("labels ({}): {} classes ({}..{}), {}..{} samples per class\n", s.label_field,
                       s.label_histogram.size(), s.label_histogram.begin()->first, s.label_histogram.rbegin()->first,
                       lo, hi);
  }
  if (!s.write_params.is_null()) out += fmt::format("write parameters: {}\n", s.write_params.dump());
  return out;
}

}  // namespace fastimg::format
