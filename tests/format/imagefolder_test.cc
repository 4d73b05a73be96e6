#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "format/test_folders.h"
#include "format/writer.h"
#include "util/error.h"

namespace fastimg::format {
namespace {

namespace fs = std::filesystem;
using fastimg::testing::TempDir;

TEST(ScanImageFolder, ClassesAndFilesAreSortedBytewise) {
  TempDir tmp;
  fs::path root = tmp / "root";
  for (const char* c : {"b", "B", "a_2", "a"}) fs::create_directories(root / c);
  for (const char* f : {"b/z.jpg", "b/a.JPEG", "b/M.png", "B/x.Jpg", "a/1.jpeg", "a/readme.txt"})
    fastimg::testing::write_bytes((root / f).string(), {1});
  ImageFolder folder = scan_imagefolder(root.string());
  EXPECT_EQ(folder.classes, (std::vector<std::string>{"B", "a", "a_2", "b"}));
  std::vector<std::string> rel;
  for (auto& p : folder.paths) rel.push_back(fs::relative(p, root).string());
  EXPECT_EQ(rel, (std::vector<std::string>{"B/x.Jpg", "a/1.jpeg", "b/M.png", "b/a.JPEG", "b/z.jpg"}));
  EXPECT_EQ(folder.labels, (std::vector<int64_t>{0, 1, 3, 3, 3}));
}

// Class folders are listed in parallel; the list is the same for any number of threads.
TEST(ScanImageFolder, SameListForAnyThreadCount) {
  TempDir tmp;
  auto root = fastimg::testing::make_sample_folder(tmp, 7);
  const ImageFolder one = scan_imagefolder(root.string(), 1);
  for (int threads : {2, 3, 16}) {
    const ImageFolder many = scan_imagefolder(root.string(), threads);
    EXPECT_EQ(many.classes, one.classes) << threads;
    EXPECT_EQ(many.paths, one.paths) << threads;
    EXPECT_EQ(many.labels, one.labels) << threads;
  }
  EXPECT_TRUE(std::is_sorted(one.labels.begin(), one.labels.end()));
}

TEST(ScanImageFolder, MissingOrEmptyFolderIsAClearError) {
  TempDir tmp;
  EXPECT_THROW(scan_imagefolder((tmp / "missing").string()), Error);
  fs::create_directories(tmp / "empty");
  try {
    scan_imagefolder((tmp / "empty").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos);
  }
  fs::create_directories(tmp / "noimages/cls");
  EXPECT_THROW(scan_imagefolder((tmp / "noimages").string()), Error);
}

TEST(ScanImageFolder, FindsTheSharedSample) {
  TempDir tmp;
  auto root = fastimg::testing::make_sample_folder(tmp, 5);
  ImageFolder folder = scan_imagefolder(root.string());
  EXPECT_EQ(folder.classes.size(), 5u);
  EXPECT_EQ(folder.paths.size(), 256u);
}

// A dangling symlink is listed, then reported and counted like a corrupt image when written
// (before, it silently was not there).
TEST(ScanImageFolder, ADanglingSymlinkIsCountedAsAnUnreadableImage) {
  TempDir tmp;
  auto root = fastimg::testing::make_sample_folder(tmp, 2, 6);
  fs::create_symlink(tmp / "does-not-exist.jpg", root / "c0" / "zz-broken.jpg");
  ImageFolder folder = scan_imagefolder(root.string());
  EXPECT_EQ(folder.paths.size(), 7u);
  WriterOptions o;
  o.workers = 1;
  const WriteReport report = write_imagefolder(root.string(), (tmp / "out.beton").string(), o);
  EXPECT_EQ(report.written, 6u);
  EXPECT_EQ(report.skipped, 1u);
}

}  // namespace
}  // namespace fastimg::format
