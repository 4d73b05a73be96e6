#pragma once
// A summary of a .beton file for `fastimg inspect`: header, fields, and for image datasets the
// JPEG/raw split, a histogram of image sizes (longest side) and of labels.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "format/layout.h"

namespace fastimg::format {

struct InspectSummary {
  std::string path;
  uint64_t file_size = 0;
  Header header;
  std::vector<std::pair<std::string, FieldType>> fields;
  uint64_t num_pages = 0;
  // Of the first RGB image field, if any.
  std::string image_field;
  uint64_t jpeg = 0, raw = 0, image_bytes = 0;
  int min_side = 0, max_side = 0;
  std::vector<std::pair<std::string, uint64_t>> size_histogram;  // bucket label ("<=256") -> count
  // Of the first int field, if any.
  std::string label_field;
  std::map<int64_t, uint64_t> label_histogram;
  nlohmann::json write_params;  // the writer's side-car "<file>.json" (without source lists), or null
};

InspectSummary inspect(const std::string& path);
nlohmann::json to_json(const InspectSummary& summary);
// Human-readable report, several lines.
std::string to_text(const InspectSummary& summary);

}  // namespace fastimg::format
