#pragma once
// The FFCV .beton layout as plain structs (see shared/FORMAT.md). All integers little-endian;
// these structs are memcpy'd to and from the file, never reinterpret_cast over the mapping.
#include <array>
#include <cstdint>
#include <string>

namespace fastimg::format {

inline constexpr uint16_t kFormatVersion = 2;            // FFCV rejects any other
inline constexpr uint32_t kDefaultPageSize = 1u << 23;   // 8 MiB, FFCV's default
inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kFieldDescSize = 1041;           // type u8 + name[16] + arguments[1024]
inline constexpr size_t kFieldNameSize = 16;
inline constexpr size_t kFieldArgsSize = 1024;
inline constexpr size_t kAllocEntrySize = 24;

enum class FieldType : uint8_t {
  kFloat = 0,
  kInt = 1,
  kRGBImage = 2,
  kBytes = 3,
  kNDArray = 4,
  kJSON = 5,
  kTorchTensor = 6,
  kCustom = 255,
};
const char* field_type_name(FieldType type);

struct Header {
  uint16_t version = kFormatVersion;
  uint16_t num_fields = 0;
  uint32_t page_size = kDefaultPageSize;
  uint64_t num_samples = 0;
  uint64_t alloc_table_ptr = 0;  // 0 = never finalised (crash mid-write)
};
static_assert(sizeof(Header) == kHeaderSize);

struct FieldDesc {
  FieldType type = FieldType::kInt;
  std::string name;                        // <= 16 ASCII bytes on disk
  std::array<uint8_t, kFieldArgsSize> arguments{};
};

enum class ImageMode : uint8_t { kJpeg = 0, kRaw = 1 };

#pragma pack(push, 1)
// Per-sample metadata of an RGB image field: a packed (unaligned) 13-byte numpy struct.
struct ImageMeta {
  uint8_t mode;
  uint16_t width;
  uint16_t height;
  uint64_t data_ptr;
};
#pragma pack(pop)
static_assert(sizeof(ImageMeta) == 13);

struct BytesMeta {
  uint64_t ptr;
  uint64_t size;
};

struct AllocEntry {
  uint64_t sample_id;
  uint64_t ptr;
  uint64_t size;
};
static_assert(sizeof(AllocEntry) == kAllocEntrySize);

// Size and alignment of one field's metadata inside a row (numpy align=True rules: a packed
// struct aligns to 1, i8/f8 to 8, {u8,u8} to 8, ndarray {u8} to 8).
struct FieldMetaLayout {
  size_t size;
  size_t alignment;
};
FieldMetaLayout field_meta_layout(FieldType type);

// Offsets of each field's metadata inside a row and the row size, per numpy's aligned struct rules.
struct RowLayout {
  std::array<size_t, 64> offsets{};
  size_t row_size = 0;
};
template <typename FieldTypes>
RowLayout row_layout(const FieldTypes& types) {
  RowLayout layout;
  size_t offset = 0, max_align = 1;
  size_t i = 0;
  for (FieldType t : types) {
    auto [size, align] = field_meta_layout(t);
    offset = (offset + align - 1) / align * align;
    layout.offsets[i++] = offset;
    offset += size;
    if (align > max_align) max_align = align;
  }
  layout.row_size = (offset + max_align - 1) / max_align * max_align;
  return layout;
}

}  // namespace fastimg::format
