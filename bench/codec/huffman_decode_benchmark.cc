// Entropy decoding: the shared photographs decoded by JpegDecoder with our Huffman decoder
// (codec/huffman_decoder.h) and, as the baseline in the same run, with libjpeg-turbo's own
// (set_own_huffman_decoder(false)); IDCT, upsampling, colour conversion and resize are the same
// libjpeg-turbo and fastimg code on both sides. Two kinds of stream: the photographs as they
// came (no restart markers: libjpeg-turbo's fast path) and re-wrapped losslessly with a restart
// marker every 4 MCUs (what `fastimg write` stores; libjpeg-turbo's slow path). Three workloads:
// the loader's random-resized crop decoded to 160 px (through the restart cut where there are
// markers), a whole-image decode, and entropy decoding alone. Repetitions are interleaved at
// random (the machines are noisy); the table gives medians, ratio = baseline time / our time
// (> 1: ours is faster).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

// jpeglib.h needs FILE declared first; jpegint.h declares the entropy module we call directly.
#include <jpeglib.h>
#include <jpegint.h>

#include "augment/random_resized_crop.h"
#include "codec/huffman_decoder.h"
#include "codec/jpeg_decoder.h"
#include "codec/restart_encode.h"
#include "util/rng.h"

namespace {

using fastimg::codec::JpegDecoder;
using fastimg::codec::Rect;

struct Sample {
  std::vector<uint8_t> jpeg;
  int width = 0, height = 0;
};

// [0]: as they came; [1]: with restart markers. Progressive files are left out (ours declines them).
const std::vector<Sample>& samples(bool markers) {
  static const auto sets = [] {
    std::vector<std::vector<Sample>> out(2);
    JpegDecoder probe;
    std::vector<std::filesystem::path> paths;
    const char* shared = std::getenv("FASTIMG_SHARED_DIR");
    const std::filesystem::path dir = std::filesystem::path(shared ? shared : FASTIMG_DEFAULT_SHARED_DIR) / "data/imagenet-sample";
    for (auto& e : std::filesystem::directory_iterator(dir))
      paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      try {
        const auto info = probe.read_header(bytes, p.string());
        const uint64_t before = probe.own_huffman_decodes();
        probe.decode_full(bytes, p.string());
        if (probe.own_huffman_decodes() == before) continue;
        out[1].push_back({fastimg::codec::add_restart_markers(bytes, 4, p.string()), info.width, info.height});
        out[0].push_back({std::move(bytes), info.width, info.height});
      } catch (const std::exception&) {
        // CMYK and other files the loader's writer converts first
      }
    }
    return out;
  }();
  return sets[markers ? 1 : 0];
}

// Arguments: restart markers (0/1), our decoder (0/1).
void BM_CropDecode160(benchmark::State& state) {
  const auto& set = samples(state.range(0) != 0);
  JpegDecoder decoder;
  decoder.set_own_huffman_decoder(state.range(1) != 0);
  std::vector<uint8_t> out(160 * 160 * 3);
  fastimg::Rng rng(3);
  size_t k = 0;
  for (auto _ : state) {
    const Sample& s = set[k++ % set.size()];
    const Rect c = fastimg::augment::random_resized_crop(s.width, s.height, rng);
    const Rect aligned = fastimg::codec::align_crop_to_scaled_grid(c, s.width, s.height, 160, 160);
    decoder.decode_crop_resize(s.jpeg, aligned, 160, 160, k % 2 == 1, out.data(), 160 * 3);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_FullDecode(benchmark::State& state) {
  const auto& set = samples(state.range(0) != 0);
  JpegDecoder decoder;
  decoder.set_own_huffman_decoder(state.range(1) != 0);
  size_t k = 0;
  for (auto _ : state) {
    const auto view = decoder.decode_full(set[k++ % set.size()].jpeg);
    benchmark::DoNotOptimize(view.data);
  }
}

// Entropy decoding alone: every MCU through the decoder's decode_mcu, no IDCT or colour (the
// header parse and jpeg_start_decompress are on both sides).
void BM_EntropyOnly(benchmark::State& state) {
  const auto& set = samples(state.range(0) != 0);
  const bool own = state.range(1) != 0;
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  fastimg::codec::BaselineHuffmanDecoder ours;
  std::vector<JBLOCK> blocks(D_MAX_BLOCKS_IN_MCU);
  JBLOCKROW rows[D_MAX_BLOCKS_IN_MCU];
  for (int i = 0; i < D_MAX_BLOCKS_IN_MCU; ++i) rows[i] = &blocks[i];
  size_t k = 0;
  for (auto _ : state) {
    const Sample& s = set[k++ % set.size()];
    jpeg_mem_src(&cinfo, s.jpeg.data(), static_cast<unsigned long>(s.jpeg.size()));
    jpeg_read_header(&cinfo, TRUE);
    jpeg_start_decompress(&cinfo);
    if (own && !ours.install(cinfo)) state.SkipWithError("not a baseline scan");
    const long mcus = static_cast<long>(cinfo.MCUs_per_row) * static_cast<long>(cinfo.MCU_rows_in_scan);
    for (long m = 0; m < mcus; ++m) {
      std::memset(blocks.data(), 0, sizeof(JBLOCK) * static_cast<size_t>(cinfo.blocks_in_MCU));
      (*cinfo.entropy->decode_mcu)(&cinfo, rows);
    }
    benchmark::DoNotOptimize(blocks.data());
    jpeg_abort_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
}

#define FASTIMG_HUFFMAN_ARGS \
  ArgsProduct({{0, 1}, {0, 1}})->Repetitions(7)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond)->MinTime(0.3)
BENCHMARK(BM_CropDecode160)->FASTIMG_HUFFMAN_ARGS;
BENCHMARK(BM_FullDecode)->FASTIMG_HUFFMAN_ARGS;
BENCHMARK(BM_EntropyOnly)->FASTIMG_HUFFMAN_ARGS;

class MedianReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs)
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
        times[run.run_name.function_name + "/" + run.run_name.args] = run.GetAdjustedRealTime();
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  args.push_back(interleave.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  for (const bool markers : {false, true}) {
    size_t bytes = 0;
    for (const Sample& s : samples(markers)) bytes += s.jpeg.size();
    std::printf("%s: %zu images, %.1f KB on average\n", markers ? "restart markers" : "as they came",
                samples(markers).size(), bytes / 1024.0 / std::max<size_t>(1, samples(markers).size()));
  }
  std::printf("\n%-46s %12s %12s %8s\n", "per image, median", "libjpeg's", "ours", "ratio");
  for (const char* bench : {"BM_CropDecode160", "BM_FullDecode", "BM_EntropyOnly"})
    for (const char* markers : {"0", "1"}) {
      const std::string key = std::string(bench) + "/" + markers;
      const double base = reporter.times[key + "/0"], ours = reporter.times[key + "/1"];
      const std::string name = bench;
      const std::string label = (name == "BM_FullDecode"    ? std::string("whole decode")
                                 : name == "BM_EntropyOnly" ? std::string("entropy decoding alone")
                                                            : std::string("crop decode to 160 px")) +
                                (markers[0] == '1' ? ", restart markers" : ", no markers");
      if (base > 0 && ours > 0) std::printf("%-46s %9.1f us %9.1f us %7.2fx\n", label.c_str(), base, ours, base / ours);
    }
  benchmark::Shutdown();
  return 0;
}
