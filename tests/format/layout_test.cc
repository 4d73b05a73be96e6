#include "format/layout.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

namespace fastimg::format {
namespace {

TEST(Layout, ImageAndIntRowIsNumpyAligned) {
  std::vector<FieldType> types{FieldType::kRGBImage, FieldType::kInt};
  RowLayout l = row_layout(types);
  EXPECT_EQ(l.offsets[0], 0u);
  EXPECT_EQ(l.offsets[1], 16u);
  EXPECT_EQ(l.row_size, 24u);
}

TEST(Layout, OtherRowsFollowAlignedStructRules) {
  RowLayout a = row_layout(std::vector<FieldType>{FieldType::kInt, FieldType::kRGBImage});
  EXPECT_EQ(a.offsets[1], 8u);
  EXPECT_EQ(a.row_size, 24u);  // 8 + 13 = 21, padded to 8
  RowLayout b = row_layout(std::vector<FieldType>{FieldType::kRGBImage});
  EXPECT_EQ(b.row_size, 13u);  // packed struct: alignment 1
  RowLayout c = row_layout(std::vector<FieldType>{FieldType::kRGBImage, FieldType::kRGBImage, FieldType::kBytes});
  EXPECT_EQ(c.offsets[1], 13u);
  EXPECT_EQ(c.offsets[2], 32u);
  EXPECT_EQ(c.row_size, 48u);
}

TEST(Layout, OnDiskStructSizes) {
  EXPECT_EQ(sizeof(Header), 24u);
  EXPECT_EQ(sizeof(ImageMeta), 13u);
  EXPECT_EQ(sizeof(AllocEntry), 24u);
  EXPECT_EQ(offsetof(Header, page_size), 4u);
  EXPECT_EQ(offsetof(Header, alloc_table_ptr), 16u);
  EXPECT_EQ(offsetof(ImageMeta, data_ptr), 5u);
  EXPECT_STREQ(field_type_name(FieldType::kRGBImage), "rgb_image");
}

}  // namespace
}  // namespace fastimg::format
