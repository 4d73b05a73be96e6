// The `fastimg write` and `fastimg inspect` commands, run as a user would.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "format/test_folders.h"

namespace {

namespace fs = std::filesystem;
using fastimg::testing::fastimg_exe;
using fastimg::testing::run_command;

// The executable comes from the default build target (it links every part of fastimg).
void require_exe() { ASSERT_TRUE(fs::exists(fastimg_exe())) << fastimg_exe() << " is missing: build the fastimg target"; }

TEST(WriteCommand, WritesAnImageFolderThatInspectDescribes) {
  ASSERT_NO_FATAL_FAILURE(require_exe());
  fastimg::testing::TempDir tmp;
  auto root = fastimg::testing::make_sample_folder(tmp, 4);
  auto out = tmp / "out.beton";
  auto w = run_command(fastimg_exe().string() + " write --from-imagefolder " + root.string() + " --out " +
                       out.string() + " --max-res 128 --jpeg-fraction 0.5 --workers 2 --seed 3 --page-size 1048576");
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_NE(w.output.find("256 images"), std::string::npos) << w.output;
  EXPECT_NE(w.output.find("0 skipped"), std::string::npos) << w.output;
  EXPECT_NE(w.output.find("images/s"), std::string::npos) << w.output;
  auto i = run_command(fastimg_exe().string() + " inspect --json " + out.string() + " 2>/dev/null");
  ASSERT_EQ(i.exit_code, 0) << i.output;
  auto j = nlohmann::json::parse(i.output);
  EXPECT_EQ(j["num_samples"], 256);
  EXPECT_EQ(j["labels"]["num_classes"], 4);
  EXPECT_LE(j["images"]["max_side"].get<int>(), 128);
  auto text = run_command(fastimg_exe().string() + " inspect " + out.string());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.output.find("256 samples"), std::string::npos) << text.output;
}

TEST(WriteCommand, ReportsSkippedImagesAndStrictFails) {
  ASSERT_NO_FATAL_FAILURE(require_exe());
  fastimg::testing::TempDir tmp;
  auto mixed = fastimg::testing::make_mixed_folder(tmp);
  auto out = tmp / "mixed.beton";
  auto w = run_command(fastimg_exe().string() + " write --from-imagefolder " + mixed.root.string() + " --out " +
                       out.string() + " --page-size 1048576");
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_NE(w.output.find("2 skipped"), std::string::npos) << w.output;
  EXPECT_NE(w.output.find("corrupt.jpg"), std::string::npos) << w.output;
  auto strict = run_command(fastimg_exe().string() + " write --strict --from-imagefolder " + mixed.root.string() +
                            " --out " + (tmp / "strict.beton").string() + " --page-size 1048576");
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_FALSE(fs::exists(tmp / "strict.beton"));
}

TEST(WriteCommand, BadInputFailsWithOneLineAndNoOutputFile) {
  ASSERT_NO_FATAL_FAILURE(require_exe());
  fastimg::testing::TempDir tmp;
  auto out = tmp / "never.beton";
  auto w = run_command(fastimg_exe().string() + " write --from-imagefolder " + (tmp / "missing").string() +
                       " --out " + out.string());
  EXPECT_NE(w.exit_code, 0);
  EXPECT_EQ(std::count(w.output.begin(), w.output.end(), '\n'), 1) << w.output;
  EXPECT_NE(w.output.find("missing"), std::string::npos) << w.output;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find("never"), std::string::npos);
  auto bad = run_command(fastimg_exe().string() + " inspect " + (tmp / "nothing.beton").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
}

}  // namespace
