#pragma once
// Reader: a memory-mapped .beton file. The constructor validates the header, field descriptors,
// metadata table and allocation table against the file size, so that every accessor afterwards is
// in bounds; a truncated, unfinished or foreign file throws fastimg::Error naming the file.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/layout.h"

namespace fastimg::format {

class Reader {
 public:
  explicit Reader(const std::string& path);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const std::string& path() const { return path_; }
  const Header& header() const { return header_; }
  uint64_t num_samples() const { return header_.num_samples; }
  uint32_t page_size() const { return header_.page_size; }
  const std::vector<FieldDesc>& fields() const { return fields_; }
  // Index of the field with this name; throws naming the file and the field if absent.
  int field_index(std::string_view name) const;
  // Index of the first field of this type, or -1.
  int first_field_of_type(FieldType type) const;

  // Typed metadata access (sample < num_samples, field of the right type; checked).
  ImageMeta image_meta(uint64_t sample, int field) const;
  int64_t int_value(uint64_t sample, int field) const;
  double float_value(uint64_t sample, int field) const;
  // Zero-copy view of an image's encoded (JPEG) or raw (HWC RGB) bytes inside the mapping.
  std::span<const uint8_t> image_data(uint64_t sample, int field) const;
  // Zero-copy view of a bytes/JSON field's payload.
  std::span<const uint8_t> bytes_value(uint64_t sample, int field) const;

  // The page (ptr / page_size, relative to the data region) holding the sample's first allocation;
  // quasi-random order groups samples by it.
  uint64_t page_of(uint64_t sample) const;
  uint64_t num_pages() const;

  const uint8_t* data() const { return base_; }
  size_t file_size() const { return size_; }
  // Hint the kernel that the whole file will be read soon (MADV_WILLNEED) / randomly.
  void advise_sequential() const;
  void advise_random() const;

 private:
  const uint8_t* row(uint64_t sample) const { return metadata_ + sample * row_size_; }
  // Size of the allocation that starts at ptr (binary search in the sorted table); throws if none.
  uint64_t allocation_size(uint64_t ptr, uint64_t sample) const;
  // Constructor body after mmap: every check against the file size.
  void validate();
  // Throws naming the file unless sample and field exist and the field has this type.
  void check(uint64_t sample, int field, FieldType type) const;

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  Header header_;
  std::vector<FieldDesc> fields_;
  std::vector<size_t> field_offsets_;
  size_t row_size_ = 0;
  const uint8_t* metadata_ = nullptr;
  uint64_t data_region_start_ = 0;
  std::vector<AllocEntry> allocs_by_ptr_;     // sorted by ptr
  std::vector<uint64_t> first_page_;          // per sample
};

}  // namespace fastimg::format
