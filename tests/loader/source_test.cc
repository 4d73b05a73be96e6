// Loader sources: an ImageFolder and WebDataset tar shards yield exactly the samples, labels and
// pixels of the same images written raw into a .beton, under 1, 2 and 3 ranks; bad samples are
// reported and skipped; bad paths are one-line errors; an ImageFolder's file list is cached in the
// run directory; `fastimg train` and `fastimg bench loader` run from both.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/image.h"
#include "codec/test_images.h"
#include "format/test_folders.h"
#include "format/writer.h"
#include "bench/loader/library/loader_bench.h"
#include "loader/imagefolder_cache.h"
#include "loader/imagefolder_source.h"
#include "augment/pipelines.h"
#include "loader/loader.h"
#include "loader/source.h"
#include "loader/webdataset_source.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

// The two standard pipelines of augment/pipelines.h.
enum class Pipeline { kTrain, kVal };


namespace fs = std::filesystem;

constexpr int kImages = 24, kClasses = 4;

struct Member {
  std::string name;
  std::vector<uint8_t> data;
};

// A ustar archive written by hand: 512-byte headers, data padded to 512, two zero blocks at the end.
std::vector<uint8_t> make_tar(const std::vector<Member>& members) {
  std::vector<uint8_t> out;
  for (const Member& m : members) {
    uint8_t h[512] = {};
    std::memcpy(h, m.name.data(), std::min<size_t>(m.name.size(), 100));
    std::snprintf(reinterpret_cast<char*>(h + 100), 8, "%07o", 0644);
    std::snprintf(reinterpret_cast<char*>(h + 108), 8, "%07o", 0);
    std::snprintf(reinterpret_cast<char*>(h + 116), 8, "%07o", 0);
    std::snprintf(reinterpret_cast<char*>(h + 124), 12, "%011llo", static_cast<unsigned long long>(m.data.size()));
    std::snprintf(reinterpret_cast<char*>(h + 136), 12, "%011o", 0);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    h[263] = '0';
    h[264] = '0';
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (uint8_t b : h) sum += b;
    std::snprintf(reinterpret_cast<char*>(h + 148), 8, "%06o", sum);
    out.insert(out.end(), h, h + 512);
    out.insert(out.end(), m.data.begin(), m.data.end());
    out.resize((out.size() + 511) / 512 * 512, 0);
  }
  out.resize(out.size() + 1024, 0);
  return out;
}

std::vector<uint8_t> ascii(const std::string& s) { return {s.begin(), s.end()}; }

class SourceTest : public ::testing::Test {
 protected:
  // kImages sample photos shrunk to at most 72 px (aspect kept), as PNG; label = index * kClasses / kImages,
  // so that the ImageFolder order (sorted classes, sorted files) is the index order.
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(testing::shared_dir() / "data/imagenet-sample")) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    std::vector<codec::Image> images;
    std::vector<std::vector<uint8_t>> pngs;
    for (int i = 0; i < kImages; ++i) {
      const codec::Image full = codec::load_image_file(files[static_cast<size_t>(i)]);
      const double s = 72.0 / std::max(full.width, full.height);
      images.push_back(codec::resize_rgb(full.view(), std::max(8, int(full.width * s)), std::max(8, int(full.height * s))));
      pngs.push_back(testing::png_encode(images.back()));
    }
    auto label = [](int i) { return static_cast<int64_t>(i * kClasses / kImages); };
    // ImageFolder.
    for (int i = 0; i < kImages; ++i) {
      const fs::path d = *dir_ / "folder" / ("class" + std::to_string(label(i)));
      fs::create_directories(d);
      char name[32];
      std::snprintf(name, sizeof name, "img%03d.png", i);
      testing::write_bytes((d / name).string(), pngs[size_t(i)]);
    }
    // Three shards of 8 samples, each a .png and a .cls (plus an unrelated .json member).
    for (int s = 0; s < 3; ++s) {
      std::vector<Member> members;
      for (int i = s * 8; i < (s + 1) * 8; ++i) {
        char key[32];
        std::snprintf(key, sizeof key, "sample%05d", i);
        members.push_back({std::string(key) + ".png", pngs[size_t(i)]});
        members.push_back({std::string(key) + ".json", ascii("{}")});
        members.push_back({std::string(key) + ".cls", ascii(std::to_string(label(i)) + "\n")});
      }
      char name[32];
      std::snprintf(name, sizeof name, "shard-%06d.tar", s);
      testing::write_bytes((*dir_ / name).string(), make_tar(members));
    }
    // The same images raw in a .beton, in the same order.
    format::LabeledImageSource src;
    src.size = kImages;
    src.name = [](size_t i) { return std::to_string(i); };
    src.load = [images](size_t i) { return images[i]; };
    src.label = [label](size_t i) { return label(static_cast<int>(i)); };
    format::WriterOptions o;
    o.workers = 2;
    o.shuffle = false;
    o.jpeg_fraction = 0;
    o.page_size = 1u << 16;
    ASSERT_EQ(format::write_images(src, beton(), o).written, size_t{kImages});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string beton() { return (*dir_ / "same.beton").string(); }
  static std::string folder() { return (*dir_ / "folder").string(); }
  static std::string shards_brace() { return (*dir_ / "shard-{000000..000002}.tar").string(); }
  static std::string shards_glob() { return (*dir_ / "shard-*.tar").string(); }

  static LoaderOptions options(const std::string& path, Pipeline pipeline, int rank, int world, int threads = 2) {
    LoaderOptions o;
    o.path = path;
    o.batch_size = 3;
    o.threads = threads;
    o.resolution = 40;
    o.seed = 7;
    o.transforms = pipeline == Pipeline::kTrain ? augment::train_transforms() : augment::val_transforms();
    o.rank = rank;
    o.world_size = world;
    o.drop_last = false;
    o.batches_ahead = 2;
    return o;
  }
  static std::vector<Batch> epoch(Loader& loader, int64_t e) {
    std::vector<Batch> out;
    loader.start_epoch(e);
    while (auto b = loader.next()) out.push_back({b->images.clone(), b->labels.clone(), nullptr, {}});
    return out;
  }
  static void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels)) << "batch " << i;
      EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
    }
  }

  static inline testing::TempDir* dir_ = nullptr;
};

TEST_F(SourceTest, PathPicksTheSource) {
  EXPECT_EQ(open_source(beton())->kind(), SourceKind::kBeton);
  EXPECT_EQ(open_source(folder())->kind(), SourceKind::kImageFolder);
  EXPECT_EQ(open_source(shards_brace())->kind(), SourceKind::kWebDataset);
  EXPECT_EQ(open_source(shards_glob())->kind(), SourceKind::kWebDataset);
  EXPECT_EQ(open_source((*dir_ / "shard-000001.tar").string())->kind(), SourceKind::kWebDataset);
  EXPECT_EQ(expand_shard_paths(shards_brace()), expand_shard_paths(shards_glob()));
  EXPECT_EQ(expand_shard_paths(shards_brace()).size(), 3u);
  EXPECT_EQ(expand_shard_paths((*dir_ / "shard-00000{0,2}.tar").string()).size(), 2u);
  auto wds = open_source(shards_glob());
  EXPECT_EQ(wds->num_samples(), uint64_t{kImages});
  EXPECT_EQ(wds->page_of(9), 1u);  // the shard
  EXPECT_TRUE(wds->open_problems().empty());
}

TEST_F(SourceTest, SameSamplesLabelsAndPixelsAsTheBetonUnderOneTwoAndThreeRanks) {
  for (Pipeline pipeline : {Pipeline::kVal, Pipeline::kTrain}) {
    for (int world = 1; world <= 3; ++world) {
      for (int rank = 0; rank < world; ++rank) {
        SCOPED_TRACE(::testing::Message() << "pipeline " << int(pipeline) << " rank " << rank << "/" << world);
        Loader reference(options(beton(), pipeline, rank, world));
        const auto expected = epoch(reference, 1);
        ASSERT_FALSE(expected.empty());
        for (const std::string& path : {folder(), shards_brace(), shards_glob()}) {
          SCOPED_TRACE(path);
          Loader loader(options(path, pipeline, rank, world));
          EXPECT_EQ(loader.num_samples(), kImages);
          EXPECT_EQ(loader.num_classes(), kClasses);
          EXPECT_EQ(loader.batches_per_epoch(), reference.batches_per_epoch());
          expect_same(epoch(loader, 1), expected);
          EXPECT_EQ(loader.skipped_samples(), 0u);
        }
      }
    }
  }
}

TEST_F(SourceTest, QuasiRandomOrderOverShardsCoversEverySample) {
  LoaderOptions o = options(shards_brace(), Pipeline::kVal, 0, 1);
  o.order = OrderKind::kQuasiRandom;
  Loader loader(o);
  std::vector<int64_t> labels;
  for (const Batch& b : epoch(loader, 0))
    for (int64_t i = 0; i < b.labels.size(0); ++i) labels.push_back(b.labels[i].item<int64_t>());
  ASSERT_EQ(labels.size(), size_t{kImages});
  std::vector<int64_t> per_class(kClasses, 0);
  for (int64_t l : labels) ++per_class[size_t(l)];
  EXPECT_EQ(per_class, std::vector<int64_t>(kClasses, kImages / kClasses));
}

TEST_F(SourceTest, TruncatedMemberAndMissingLabelAreReportedAndTheEpochCompletes) {
  const std::vector<uint8_t> png = testing::png_encode(testing::pattern_image(20, 16, 1));
  std::vector<uint8_t> tar = make_tar({{"a.png", png}, {"a.cls", ascii("1")},
                                       {"nolabel.png", png},
                                       {"c.png", png}, {"c.cls", ascii("2")},
                                       {"cut.png", std::vector<uint8_t>(5000, 7)}});
  tar.resize(tar.size() - 1024 - 3000);  // cut.png loses its end (and the archive its end blocks)
  const std::string path = (*dir_ / "bad.tar").string();
  testing::write_bytes(path, tar);
  Loader loader(options(path, Pipeline::kTrain, 0, 1));
  EXPECT_EQ(loader.num_samples(), 2);
  const auto problems = loader.problems();
  auto mentions = [&](const char* a, const char* b) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
      return p.find(a) != std::string::npos && p.find(b) != std::string::npos && p.find("bad.tar") != std::string::npos;
    });
  };
  EXPECT_TRUE(mentions("nolabel", "no .cls")) << ::testing::PrintToString(problems);
  EXPECT_TRUE(mentions("cut.png", "truncated")) << ::testing::PrintToString(problems);
  const auto batches = epoch(loader, 0);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].labels.size(0), 2);

  LoaderOptions strict = options(path, Pipeline::kTrain, 0, 1);
  strict.strict = true;
  EXPECT_THROW(Loader{strict}, Error);
}

TEST_F(SourceTest, CorruptFileIsSkippedWithTheSameBatchesForAnyThreadCount) {
  const fs::path root = *dir_ / "corrupt";
  fs::copy(folder(), root, fs::copy_options::recursive);
  testing::write_bytes((root / "class1" / "img007.png").string(), ascii("not a png at all"));
  std::vector<Batch> first;
  for (int threads : {1, 3}) {
    Loader loader(options(root.string(), Pipeline::kTrain, 0, 1, threads));
    auto batches = epoch(loader, 2);
    EXPECT_EQ(loader.skipped_samples(), 1u);
    const auto problems = loader.problems();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("img007.png"), std::string::npos) << problems[0];
    int64_t images = 0;
    for (const Batch& b : batches) images += b.images.size(0);
    EXPECT_EQ(images, kImages);  // the slot got the next good sample
    if (first.empty()) first = std::move(batches);
    else expect_same(batches, first);
  }
  LoaderOptions strict = options(root.string(), Pipeline::kTrain, 0, 1);
  strict.strict = true;
  Loader loader(strict);
  loader.start_epoch(0);
  EXPECT_THROW(while (loader.next()) {}, Error);
}

// Files that vanish or are empty by the time they are read: reported, skipped and counted.
TEST_F(SourceTest, UnreadableFilesAreSkippedAndCounted) {
  const fs::path root = *dir_ / "unreadable";
  fs::copy(folder(), root, fs::copy_options::recursive);
  Loader loader(options(root.string(), Pipeline::kVal, 0, 1));
  fs::remove(root / "class0" / "img003.png");
  testing::write_bytes((root / "class2" / "img013.png").string(), {});
  int64_t images = 0;
  for (const Batch& b : epoch(loader, 0)) images += b.images.size(0);
  EXPECT_EQ(images, kImages);
  EXPECT_EQ(loader.skipped_samples(), 2u);
  const std::string all = ::testing::PrintToString(loader.problems());
  EXPECT_NE(all.find("img003.png: cannot open"), std::string::npos) << all;
  EXPECT_NE(all.find("img013.png: empty file"), std::string::npos) << all;
  epoch(loader, 1);
  EXPECT_EQ(loader.skipped_samples(), 2u);  // distinct samples, not reports
}

// CMYK and grayscale JPEGs and a PNG named .JPEG are decoded as the writer decodes them: the
// loader's images match those of a raw .beton written from the same folder.
TEST_F(SourceTest, ImageFolderHandlesEveryImageKindLikeTheWriter) {
  testing::TempDir tmp;
  const testing::MixedFolder mixed = testing::make_mixed_folder(tmp);
  for (const std::string& bad : mixed.bad) fs::remove(bad);
  const std::string out = (tmp / "mixed.beton").string();
  format::WriterOptions w;
  w.workers = 1;
  w.shuffle = false;
  w.jpeg_fraction = 0;
  ASSERT_EQ(format::write_imagefolder(mixed.root.string(), out, w).written, size_t(mixed.good));
  LoaderOptions o = options(mixed.root.string(), Pipeline::kVal, 0, 1);
  o.order = OrderKind::kSequential;
  Loader from_folder(o);
  o.path = out;
  Loader from_beton(o);
  const auto a = epoch(from_folder, 0), b = epoch(from_beton, 0);
  EXPECT_EQ(from_folder.skipped_samples(), 0u) << ::testing::PrintToString(from_folder.problems());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels)) << "batch " << i;
    ASSERT_EQ(a[i].images.sizes(), b[i].images.sizes());
    // JPEGs: the loader decodes the crop at a DCT scale, the writer the whole image: close, not equal.
    const double diff = (a[i].images.to(torch::kInt) - b[i].images.to(torch::kInt)).abs().to(torch::kDouble).mean().item<double>();
    EXPECT_LT(diff, 4.0) << "batch " << i;
  }
}

TEST_F(SourceTest, ClsLabelIsAnAsciiIntegerOrALittleEndianInt64) {
  const std::vector<uint8_t> png = testing::png_encode(testing::pattern_image(8, 8, 1));
  auto le = [](int64_t v) {
    std::vector<uint8_t> b(8);
    for (int i = 0; i < 8; ++i) b[size_t(i)] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
    return b;
  };
  std::vector<uint8_t> one_nul = ascii("1");
  one_nul.resize(8, 0);
  const std::vector<uint8_t> tar = make_tar({{"a.png", png}, {"a.cls", le(3)},
                                             {"b.png", png}, {"b.cls", ascii("2\n")},
                                             {"c.png", png}, {"c.cls", le(258)},
                                             {"d.png", png}, {"d.cls", ascii("1234567\n")},  // 8 bytes, all ASCII
                                             {"e.png", png}, {"e.cls", one_nul},              // 0x31 + NULs: int64 49
                                             {"f.png", png}, {"f.cls", le(999)},
                                             {"g.png", png}, {"g.cls", le(-1)}});
  std::vector<std::string> problems;
  const std::vector<ShardSample> samples = index_tar(tar, "labels.tar", 0, problems);
  std::vector<int64_t> labels;
  for (const ShardSample& s : samples) labels.push_back(s.label);
  EXPECT_EQ(labels, (std::vector<int64_t>{3, 2, 258, 1234567, 49, 999}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("labels.tar: g: .cls"), std::string::npos) << problems[0];
}

// The list of an ImageFolder is written next to the run once; later opens read it instead of
// listing the folders, until a folder changes.
TEST_F(SourceTest, ImageFolderListIsCachedAndRebuiltWhenAFolderChanges) {
  testing::TempDir tmp;
  const fs::path root = tmp / "data";
  fs::copy(folder(), root, fs::copy_options::recursive);
  const std::string run = (tmp / "run").string();
  ImageFolderListOptions o;
  o.cache_dir = run;
  o.threads = 3;
  o.racy_window = std::chrono::nanoseconds(0);  // the folders were just written
  const std::string cache = imagefolder_cache_path(root.string(), run);
  EXPECT_EQ(fs::path(cache).parent_path(), fs::path(run));
  EXPECT_NE(cache, imagefolder_cache_path(folder(), run));

  const ImageFolderList first = load_imagefolder_list(root.string(), o);
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(first.cache_path, cache);
  ASSERT_TRUE(fs::exists(cache));
  const ImageFolderList second = load_imagefolder_list(root.string(), o);
  EXPECT_TRUE(second.from_cache);
  const format::ImageFolder scanned = format::scan_imagefolder(root.string(), 1);
  for (const ImageFolderList* l : {&first, &second}) {
    EXPECT_EQ(l->folder.classes, scanned.classes);
    EXPECT_EQ(l->folder.paths, scanned.paths);
    EXPECT_EQ(l->folder.labels, scanned.labels);
  }
  // The source and the loader take the cache directory.
  ImageFolderSource source(root.string(), o);
  EXPECT_TRUE(source.list_from_cache());
  EXPECT_EQ(source.num_samples(), uint64_t{kImages});

  // Folders changed just before the scan are not trusted under the default window.
  ImageFolderListOptions cautious = o;
  cautious.racy_window = std::chrono::seconds(2);
  EXPECT_FALSE(load_imagefolder_list(root.string(), cautious).from_cache);

  // A new file in a class folder (its time set apart from the recorded one: clocks are coarse).
  const auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::copy_file(root / "class1" / "img006.png", root / "class1" / "img006b.png");
  fs::last_write_time(root / "class1", old_time);
  const ImageFolderList added = load_imagefolder_list(root.string(), o);
  EXPECT_FALSE(added.from_cache);
  EXPECT_EQ(added.folder.paths.size(), size_t{kImages} + 1);
  EXPECT_EQ(added.folder.paths[7], (root / "class1" / "img006b.png").string());
  EXPECT_TRUE(load_imagefolder_list(root.string(), o).from_cache);

  // A new class folder.
  fs::create_directories(root / "class9");
  fs::copy_file(root / "class0" / "img000.png", root / "class9" / "x.png");
  fs::last_write_time(root, old_time);
  const ImageFolderList new_class = load_imagefolder_list(root.string(), o);
  EXPECT_FALSE(new_class.from_cache);
  EXPECT_EQ(new_class.folder.classes.size(), size_t{kClasses} + 1);
  EXPECT_EQ(new_class.folder.labels.back(), kClasses);

  // A damaged cache file is rebuilt.
  testing::write_bytes(cache, ascii("fastimg-imagefolder-list 1\n12:not a path"));
  const ImageFolderList repaired = load_imagefolder_list(root.string(), o);
  EXPECT_FALSE(repaired.from_cache);
  EXPECT_EQ(repaired.folder.paths, new_class.folder.paths);
  EXPECT_TRUE(load_imagefolder_list(root.string(), o).from_cache);
}

// `fastimg bench loader` runs on every source.
TEST_F(SourceTest, LoaderBenchRunsOnEverySource) {
  for (const std::string& path : {beton(), folder(), shards_glob()}) {
    SCOPED_TRACE(path);
    LoaderBenchOptions o;
    o.path = path;
    o.resolution = 32;
    o.threads = 2;
    o.batch_size = 4;
    o.batches = 3;
    o.warmup_batches = 1;
    const LoaderBenchResult r = run_loader_bench(o);
    EXPECT_EQ(r.images, 12);
    EXPECT_GT(r.images_per_s, 0);
    if (r.jpeg_fraction > 0) {  // the paired full / crop decode blocks ran
      EXPECT_GT(r.crop_decode_gain, 0);
      EXPECT_GT(r.single_core_crop_decode_images_per_cpu_s, 0);
    }
    EXPECT_NE(bench_table(o, r).find(path), std::string::npos);
  }
}

std::string one_line_error(const std::string& path) {
  try {
    LoaderOptions o;
    o.path = path;
    o.threads = 1;
    Loader loader(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(SourceTest, BadPathsAreOneLineErrors) {
  const fs::path empty_class = *dir_ / "empty-class";
  fs::create_directories(empty_class / "a");
  fs::create_directories(empty_class / "b");
  testing::write_bytes((empty_class / "a" / "x.png").string(), testing::png_encode(testing::pattern_image(8, 8, 1)));
  const fs::path no_images = *dir_ / "no-images";
  fs::create_directories(no_images / "a");
  testing::write_bytes((no_images / "a" / "notes.txt").string(), ascii("hi"));
  const fs::path no_classes = *dir_ / "no-classes";
  fs::create_directories(no_classes);
  for (const auto& [path, expect] : std::vector<std::pair<std::string, std::string>>{
           {empty_class.string(), "'b' has no images"},
           {no_images.string(), "no images"},
           {no_classes.string(), "no class folders"},
           {(*dir_ / "does-not-exist").string(), "no such file or directory"},
           {(*dir_ / "missing-*.tar").string(), "no file matches"},
           {(*dir_ / "missing-{0..3}.tar").string(), "no such tar shard"}}) {
    const std::string message = one_line_error(path);
    EXPECT_NE(message.find(expect), std::string::npos) << path << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// `fastimg train` straight from an ImageFolder and from shards: no conversion step.
TEST_F(SourceTest, TrainRunsFromAnImageFolderAndFromShards) {
  ASSERT_TRUE(fs::exists(testing::fastimg_exe())) << testing::fastimg_exe() << " is missing: build the fastimg target";
  int n = 0;
  for (const std::string& data : {folder(), shards_glob()}) {
    const std::string run = (*dir_ / ("run" + std::to_string(n++))).string();
    const std::string cmd = testing::fastimg_exe().string() + " train --config " +
                            (testing::source_dir() / "configs/rr/resnet18-sgd.toml").string() + " --set 'data.train=" +
                            data + "' --set 'data.val=\"\"' --set data.batch_size=4 --set data.threads=2" +
                            " --set data.global_batch_size=0" +  // the recipe's global batch would win
                            " --set train.min_res=32 --set train.max_res=32 --set validation.res=32" +
                            " --set train.max_steps_per_epoch=2 --set train.stop_after_epochs=1" +
                            " --set output.progress=false --set train.device=cpu --set output.run_dir=" + run + " 2>&1";
    const auto r = testing::run_command(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    const bool imagefolder = data == folder();
    EXPECT_EQ(fs::exists(imagefolder_cache_path(data, run)), imagefolder) << "the ImageFolder's list is cached in the run";
    const std::vector<uint8_t> summary = testing::read_bytes((fs::path(run) / "summary.json").string());
    EXPECT_NE(std::string(summary.begin(), summary.end()).find("\"skipped_samples\": 0"), std::string::npos);
  }
}

// `fastimg write --from-webdataset` writes the shards' samples: raw and unshuffled, the very file
// written from the images directly.
TEST_F(SourceTest, WriteFromWebDatasetGivesTheSameFile) {
  ASSERT_TRUE(fs::exists(testing::fastimg_exe())) << testing::fastimg_exe() << " is missing: build the fastimg target";
  const std::string out = (*dir_ / "from-shards.beton").string();
  const std::string cmd = testing::fastimg_exe().string() + " write --from-webdataset '" + shards_brace() + "' --out " +
                          out + " --jpeg-fraction 0 --no-shuffle --workers 2 2>&1";
  const auto r = testing::run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
  Loader written(options(out, Pipeline::kVal, 0, 1));
  Loader reference(options(beton(), Pipeline::kVal, 0, 1));
  expect_same(epoch(written, 0), epoch(reference, 0));
}

}  // namespace
}  // namespace fastimg::loader
