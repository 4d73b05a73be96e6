#include "format/inspect.h"

#include <gtest/gtest.h>

#include "format/test_folders.h"
#include "format/writer.h"

namespace fastimg::format {
namespace {

TEST(Inspect, SummarisesTheWholeImagenetSample) {
  fastimg::testing::TempDir tmp;
  auto root = fastimg::testing::make_sample_folder(tmp, 8);
  WriterOptions o;
  o.max_resolution = 160;
  o.jpeg_fraction = 0.5;
  o.page_size = 1 << 20;
  std::string path = (tmp / "sample.beton").string();
  auto report = write_imagefolder(root.string(), path, o);
  ASSERT_EQ(report.written, 256u);
  InspectSummary s = inspect(path);
  EXPECT_EQ(s.header.num_samples, 256u);
  EXPECT_EQ(s.jpeg, report.jpeg);
  EXPECT_EQ(s.raw, report.raw);
  EXPECT_EQ(s.jpeg + s.raw, 256u);
  EXPECT_LE(s.max_side, 160);
  uint64_t sum = 0;
  for (auto& [bucket, count] : s.size_histogram) sum += count;
  EXPECT_EQ(sum, 256u);
  EXPECT_EQ(s.label_histogram.size(), 8u);
  EXPECT_EQ(s.label_histogram.at(0), 32u);
  auto j = to_json(s);
  EXPECT_EQ(j["num_samples"], 256);
  EXPECT_EQ(j["fields"][0]["name"], "image");
  EXPECT_EQ(j["fields"][1]["type"], "int");
  EXPECT_EQ(j["labels"]["num_classes"], 8);
  EXPECT_EQ(j["write_params"]["max_resolution"], 160);
  EXPECT_NE(to_text(s).find("256 samples"), std::string::npos);
}

}  // namespace
}  // namespace fastimg::format
