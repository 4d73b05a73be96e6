#include "format/reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "format/test_folders.h"
#include "format/writer.h"
#include "util/error.h"

namespace fastimg::format {
namespace {

using fastimg::testing::read_bytes;
using fastimg::testing::TempDir;
using fastimg::testing::write_bytes;

// A valid small dataset's bytes.
std::vector<uint8_t> valid_file(const TempDir& tmp) {
  LabeledImageSource s;
  s.size = 10;
  s.name = [](size_t i) { return std::to_string(i); };
  s.load = [](size_t i) { return fastimg::testing::pattern_image(10 + int(i), 12, int(i)); };
  s.label = [](size_t i) { return static_cast<int64_t>(i % 3); };
  WriterOptions o;
  o.page_size = 4096;
  o.jpeg_fraction = 0.5;
  std::string path = (tmp / "valid.beton").string();
  write_images(s, path, o);
  return read_bytes(path);
}

// Expects Reader(path) to throw an Error naming the path and containing `what`.
void expect_rejected(const std::string& path, const std::string& what) {
  try {
    Reader r(path);
    FAIL() << path << " was accepted";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(Reader, ReadsWhatTheWriterWrote) {
  TempDir tmp;
  valid_file(tmp);
  Reader r((tmp / "valid.beton").string());
  EXPECT_EQ(r.num_samples(), 10u);
  EXPECT_EQ(r.page_size(), 4096u);
  ASSERT_EQ(r.fields().size(), 2u);
  EXPECT_EQ(r.fields()[0].type, FieldType::kRGBImage);
  EXPECT_EQ(r.fields()[1].name, "label");
  EXPECT_EQ(r.first_field_of_type(FieldType::kInt), 1);
  EXPECT_EQ(r.first_field_of_type(FieldType::kFloat), -1);
  EXPECT_GT(r.num_pages(), 1u);  // 10 raw/JPEG images of ~400 B..800 B in 4 KiB pages
  for (uint64_t s = 0; s < 10; ++s) {
    EXPECT_LT(r.page_of(s), r.num_pages());
    auto data = r.image_data(s, 0);
    auto m = r.image_meta(s, 0);
    if (m.mode == 1) {
      EXPECT_EQ(data.size(), size_t{m.width} * m.height * 3);
    }
    if (m.mode == 0) {
      EXPECT_EQ(codec::decode_image(data, "sample").width, m.width);
    }
  }
  EXPECT_THROW(r.int_value(10, 1), Error);
  EXPECT_THROW(r.int_value(0, 0), Error);
  EXPECT_THROW(r.field_index("nope"), Error);
}

TEST(Reader, RejectsATruncatedFileNamingIt) {
  TempDir tmp;
  auto bytes = valid_file(tmp);
  std::string path = (tmp / "truncated.beton").string();
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 100));
  expect_rejected(path, "truncated");
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  expect_rejected(path, "truncated");
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10));
  expect_rejected(path, "not a .beton");
}

TEST(Reader, RejectsRandomBytes) {
  TempDir tmp;
  std::vector<uint8_t> junk(100000);
  uint64_t x = 12345;
  for (auto& b : junk) b = static_cast<uint8_t>((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 56);
  std::string path = (tmp / "random.beton").string();
  write_bytes(path, junk);
  expect_rejected(path, "not a .beton");
}

TEST(Reader, RejectsAnUnfinalisedFile) {
  TempDir tmp;
  auto bytes = valid_file(tmp);
  std::memset(bytes.data() + 16, 0, 8);  // alloc_table_ptr
  std::string path = (tmp / "unfinished.beton").string();
  write_bytes(path, bytes);
  expect_rejected(path, "not finalised");
}

TEST(Reader, RejectsCorruptTablesAndMetadata) {
  TempDir tmp;
  auto bytes = valid_file(tmp);
  Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  std::string path = (tmp / "corrupt.beton").string();
  {
    auto b = bytes;
    uint64_t huge = 1ull << 40;
    std::memcpy(b.data() + h.alloc_table_ptr + 8, &huge, 8);  // first allocation's ptr
    write_bytes(path, b);
    expect_rejected(path, "allocation");
  }
  {
    auto b = bytes;
    uint64_t many = 1ull << 50;
    std::memcpy(b.data() + 8, &many, 8);  // num_samples
    write_bytes(path, b);
    expect_rejected(path, "samples");
  }
  {
    auto b = bytes;
    b[0] = 3;  // version
    write_bytes(path, b);
    expect_rejected(path, "version");
  }
  {
    auto b = bytes;
    uint64_t bad = 12345;
    std::memcpy(b.data() + 24 + 2 * 1041 + 5, &bad, 8);  // sample 0's data_ptr
    write_bytes(path, b);
    expect_rejected(path, "sample 0");
  }
  expect_rejected((tmp / "missing.beton").string(), "cannot open");
}

}  // namespace
}  // namespace fastimg::format
