// Reader: validates the whole file against its size once, so accessors can trust every offset.
#include "format/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "util/error.h"

namespace fastimg::format {
namespace {

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

bool known_type(uint8_t t) { return t <= 6 || t == 255; }

}  // namespace

Reader::Reader(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail("{}: cannot stat: {}", path, std::strerror(e));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < kHeaderSize) {
    ::close(fd);
    fail("{}: not a .beton dataset file: only {} bytes", path, size_);
  }
  void* map = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
  int map_errno = errno;
  ::close(fd);
  if (map == MAP_FAILED) fail("{}: cannot mmap: {}", path, std::strerror(map_errno));
  base_ = static_cast<const uint8_t*>(map);
  try {
    validate();
  } catch (...) {
    ::munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
    throw;
  }
}

Reader::~Reader() {
  if (base_) ::munmap(const_cast<uint8_t*>(base_), size_);
}

void Reader::validate() {
  const std::string& p = path_;
  std::memcpy(&header_, base_, kHeaderSize);
  if (header_.version != kFormatVersion)
    fail("{}: not a .beton dataset file (format version {}, expected {})", p, header_.version, kFormatVersion);
  if (header_.num_fields == 0 || header_.num_fields > 64)
    fail("{}: corrupt header: {} fields (expected 1..64)", p, header_.num_fields);
  if (header_.page_size == 0 || (header_.page_size & (header_.page_size - 1)) != 0)
    fail("{}: corrupt header: page size {} is not a power of two", p, header_.page_size);
  if (header_.alloc_table_ptr == 0) fail("{}: file was not finalised (interrupted write?)", p);
  if (header_.alloc_table_ptr > size_)
    fail("{}: truncated: allocation table at {} but the file has {} bytes", p, header_.alloc_table_ptr, size_);
  if ((size_ - header_.alloc_table_ptr) % kAllocEntrySize != 0)
    fail("{}: truncated or corrupt: allocation table of {} bytes is not a whole number of rows", p,
         size_ - header_.alloc_table_ptr);

  // Field descriptors.
  const uint64_t descs_end = kHeaderSize + uint64_t{header_.num_fields} * kFieldDescSize;
  if (descs_end > header_.alloc_table_ptr) fail("{}: truncated: field descriptors run past the data", p);
  std::vector<FieldType> types;
  for (size_t i = 0; i < header_.num_fields; ++i) {
    const uint8_t* d = base_ + kHeaderSize + i * kFieldDescSize;
    if (!known_type(d[0])) fail("{}: corrupt field descriptor {}: unknown type id {}", p, i, d[0]);
    FieldDesc desc;
    desc.type = static_cast<FieldType>(d[0]);
    const char* name = reinterpret_cast<const char*>(d + 1);
    desc.name.assign(name, strnlen(name, kFieldNameSize));
    std::memcpy(desc.arguments.data(), d + 1 + kFieldNameSize, kFieldArgsSize);
    if (desc.type == FieldType::kTorchTensor || desc.type == FieldType::kCustom)
      fail("{}: field '{}' has type {}, which fastimg cannot read", p, desc.name, field_type_name(desc.type));
    types.push_back(desc.type);
    fields_.push_back(std::move(desc));
  }
  RowLayout layout = row_layout(types);
  row_size_ = layout.row_size;
  field_offsets_.assign(layout.offsets.begin(), layout.offsets.begin() + header_.num_fields);

  // Metadata table.
  if (header_.num_samples > (header_.alloc_table_ptr - descs_end) / row_size_)
    fail("{}: truncated or corrupt: {} samples of {} bytes of metadata do not fit before the allocation table", p,
         header_.num_samples, row_size_);
  metadata_ = base_ + descs_end;
  const uint64_t metadata_end = descs_end + header_.num_samples * row_size_;

  // Allocation table.
  const uint64_t num_allocs = (size_ - header_.alloc_table_ptr) / kAllocEntrySize;
  allocs_by_ptr_.resize(num_allocs);
  if (num_allocs) std::memcpy(allocs_by_ptr_.data(), base_ + header_.alloc_table_ptr, num_allocs * kAllocEntrySize);
  first_page_.assign(header_.num_samples, std::numeric_limits<uint64_t>::max());
  uint64_t min_ptr = std::numeric_limits<uint64_t>::max();
  for (const AllocEntry& a : allocs_by_ptr_) {
    if (a.sample_id >= header_.num_samples)
      fail("{}: corrupt allocation table: sample id {} >= {} samples", p, a.sample_id, header_.num_samples);
    if (a.ptr < metadata_end || a.ptr > header_.alloc_table_ptr || a.size > header_.alloc_table_ptr - a.ptr)
      fail("{}: corrupt allocation table: sample {} allocation [{}, +{}) outside the data region [{}, {})", p,
           a.sample_id, a.ptr, a.size, metadata_end, header_.alloc_table_ptr);
    min_ptr = std::min(min_ptr, a.ptr);
  }
  std::sort(allocs_by_ptr_.begin(), allocs_by_ptr_.end(),
            [](const AllocEntry& a, const AllocEntry& b) { return a.ptr < b.ptr; });
  // The data region starts at the page holding the first allocation; FFCV rounds the metadata
  // end up to a page, fastimg may leave whole spare pages when images were skipped.
  const uint64_t ps = header_.page_size;
  data_region_start_ = num_allocs ? min_ptr / ps * ps : (metadata_end + ps - 1) / ps * ps;
  for (const AllocEntry& a : allocs_by_ptr_) {
    uint64_t page = (a.ptr - data_region_start_) / ps;
    first_page_[a.sample_id] = std::min(first_page_[a.sample_id], page);
  }
  for (auto& page : first_page_)
    if (page == std::numeric_limits<uint64_t>::max()) page = 0;

  // Per-sample metadata that points into the data region.
  for (size_t f = 0; f < fields_.size(); ++f) {
    const FieldType type = fields_[f].type;
    for (uint64_t s = 0; s < header_.num_samples; ++s) {
      const uint8_t* m = row(s) + field_offsets_[f];
      if (type == FieldType::kRGBImage) {
        auto meta = load<ImageMeta>(m);
        if (meta.mode > 1) fail("{}: sample {} field '{}': invalid image mode {}", p, s, fields_[f].name, meta.mode);
        if (meta.width == 0 || meta.height == 0)
          fail("{}: sample {} field '{}': empty image {}x{}", p, s, fields_[f].name, meta.width, meta.height);
        uint64_t size = allocation_size(meta.data_ptr, s);
        uint64_t raw = uint64_t{meta.width} * meta.height * 3;
        if (meta.mode == static_cast<uint8_t>(ImageMode::kRaw) && size < raw)
          fail("{}: sample {} field '{}': raw image {}x{} needs {} bytes, allocation has {}", p, s, fields_[f].name,
               meta.width, meta.height, raw, size);
      } else if (type == FieldType::kBytes || type == FieldType::kJSON) {
        auto meta = load<BytesMeta>(m);
        if (meta.ptr < metadata_end || meta.ptr > header_.alloc_table_ptr ||
            meta.size > header_.alloc_table_ptr - meta.ptr)
          fail("{}: sample {} field '{}': payload [{}, +{}) outside the data region", p, s, fields_[f].name, meta.ptr,
               meta.size);
      } else if (type == FieldType::kNDArray) {
        auto ptr = load<uint64_t>(m);
        if (ptr < metadata_end || ptr > header_.alloc_table_ptr)
          fail("{}: sample {} field '{}': array at {} outside the data region", p, s, fields_[f].name, ptr);
      }
    }
  }
}

int Reader::field_index(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return static_cast<int>(i);
  fail("{}: no field named '{}'", path_, name);
}

int Reader::first_field_of_type(FieldType type) const {
  for (size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].type == type) return static_cast<int>(i);
  return -1;
}

void Reader::check(uint64_t sample, int field, FieldType type) const {
  if (sample >= header_.num_samples) fail("{}: sample {} out of range ({} samples)", path_, sample, header_.num_samples);
  if (field < 0 || static_cast<size_t>(field) >= fields_.size()) fail("{}: no field #{}", path_, field);
  if (fields_[field].type != type)
    fail("{}: field '{}' is {}, not {}", path_, fields_[field].name, field_type_name(fields_[field].type),
         field_type_name(type));
}

ImageMeta Reader::image_meta(uint64_t sample, int field) const {
  check(sample, field, FieldType::kRGBImage);
  return load<ImageMeta>(row(sample) + field_offsets_[field]);
}

int64_t Reader::int_value(uint64_t sample, int field) const {
  check(sample, field, FieldType::kInt);
  return load<int64_t>(row(sample) + field_offsets_[field]);
}

double Reader::float_value(uint64_t sample, int field) const {
  check(sample, field, FieldType::kFloat);
  return load<double>(row(sample) + field_offsets_[field]);
}

std::span<const uint8_t> Reader::image_data(uint64_t sample, int field) const {
  ImageMeta meta = image_meta(sample, field);
  uint64_t size = meta.mode == static_cast<uint8_t>(ImageMode::kRaw) ? uint64_t{meta.width} * meta.height * 3
                                                                     : allocation_size(meta.data_ptr, sample);
  return {base_ + meta.data_ptr, static_cast<size_t>(size)};
}

std::span<const uint8_t> Reader::bytes_value(uint64_t sample, int field) const {
  // JSON fields are stored exactly like bytes fields.
  const bool json = field >= 0 && static_cast<size_t>(field) < fields_.size() && fields_[field].type == FieldType::kJSON;
  check(sample, field, json ? FieldType::kJSON : FieldType::kBytes);
  auto meta = load<BytesMeta>(row(sample) + field_offsets_[field]);
  return {base_ + meta.ptr, static_cast<size_t>(meta.size)};
}

uint64_t Reader::page_of(uint64_t sample) const {
  if (sample >= header_.num_samples) fail("{}: sample {} out of range ({} samples)", path_, sample, header_.num_samples);
  return first_page_[sample];
}

uint64_t Reader::num_pages() const {
  if (allocs_by_ptr_.empty()) return 0;
  const AllocEntry& last = allocs_by_ptr_.back();
  return (last.ptr + std::max<uint64_t>(last.size, 1) - 1 - data_region_start_) / header_.page_size + 1;
}

void Reader::advise_sequential() const { ::madvise(const_cast<uint8_t*>(base_), size_, MADV_WILLNEED); }
void Reader::advise_random() const { ::madvise(const_cast<uint8_t*>(base_), size_, MADV_RANDOM); }

uint64_t Reader::allocation_size(uint64_t ptr, uint64_t sample) const {
  auto it = std::lower_bound(allocs_by_ptr_.begin(), allocs_by_ptr_.end(), ptr,
                             [](const AllocEntry& a, uint64_t v) { return a.ptr < v; });
  if (it == allocs_by_ptr_.end() || it->ptr != ptr)
    fail("{}: sample {}: data pointer {} is not the start of any allocation", path_, sample, ptr);
  return it->size;
}

}  // namespace fastimg::format
