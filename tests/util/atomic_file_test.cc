#include "util/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"
#include "util/error.h"

namespace fastimg {
namespace {

TEST(AtomicFile, CommitRenamesIntoPlace) {
  testing::TempDir dir;
  auto path = (dir / "out.bin").string();
  write_file_atomically(path, "hello");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "hello");
  // No temp file is left next to it.
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, WithoutCommitNothingIsLeft) {
  testing::TempDir dir;
  auto path = (dir / "out.bin").string();
  {
    AtomicFile file(path);
    ASSERT_TRUE(std::filesystem::exists(file.temp_path()));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicFile, UnwritableDirectoryIsAClearError) {
  try {
    AtomicFile file("/nonexistent-dir/x.beton");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.beton"), std::string::npos);
  }
}

}  // namespace
}  // namespace fastimg
