// fastimg bench loader --data FILE [...] [--json]: loader images/s against the decode limit and a
// naive FFCV-style baseline measured in the same run.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>

#include "cli/command.h"
#include "bench/loader/library/loader_bench.h"
#include "util/named_enum.h"

namespace {

struct BenchLoaderArgs {
  fastimg::loader::LoaderBenchOptions options;
  std::string order = "random", pipeline = "train";
  bool json = false, no_baseline = false;
};

nlohmann::json to_json(const fastimg::loader::LoaderBenchOptions& o, const fastimg::loader::LoaderBenchResult& r) {
  using fastimg::loader::OrderKind;
  using fastimg::loader::kOrderKindNames;
  nlohmann::json j = {
      {"images_per_s", r.images_per_s},
      {"decode_limit_images_per_s", r.decode_limit_images_per_s},
      {"ratio_to_decode_limit", r.decode_limit_images_per_s > 0 ? r.images_per_s / r.decode_limit_images_per_s : 0},
      {"single_core_decode_images_per_s", r.single_core_decode_images_per_s},
      {"images_per_cpu_s", r.images_per_cpu_s},
      {"single_core_decode_images_per_cpu_s", r.single_core_decode_images_per_cpu_s},
      {"single_core_crop_decode_images_per_s", r.single_core_crop_decode_images_per_s},
      {"single_core_crop_decode_images_per_cpu_s", r.single_core_crop_decode_images_per_cpu_s},
      {"crop_decode_gain", r.crop_decode_gain},
      {"decode_limit_x_crop_gain_images_per_s", r.decode_limit_images_per_s * r.crop_decode_gain},
      {"ratio_to_decode_limit_x_crop_gain",
       r.crop_decode_gain > 0 ? r.images_per_s / (r.decode_limit_images_per_s * r.crop_decode_gain) : 0},
      {"ratio_to_decode_limit_x_crop_gain_per_cpu_s",
       r.crop_decode_gain > 0 ? r.images_per_cpu_s / (r.single_core_decode_images_per_cpu_s * r.crop_decode_gain) : 0},
      {"images", r.images},
      {"seconds", r.seconds},
      {"jpeg_fraction", r.jpeg_fraction},
      {"settings",
       {{"data", o.path}, {"res", o.resolution}, {"threads", r.threads}, {"batch_size", o.batch_size},
        {"batches", o.batches}, {"order", fastimg::enum_name<OrderKind>(kOrderKindNames, o.order)}, {"pipeline", (o.train_pipeline ? "train" : "val")}}}};
  if (r.naive_images_per_s > 0) {
    j["naive_images_per_s"] = r.naive_images_per_s;
    j["naive_images_per_cpu_s"] = r.naive_images_per_cpu_s;
    j["ratio_to_naive"] = r.images_per_s / r.naive_images_per_s;
  }
  return j;
}

const bool registered = fastimg::cli::register_command(
    {"bench", "Benchmarks: `bench loader` measures the data loader", [](CLI::App& app) {
       app.require_subcommand(1);
       auto* loader = app.add_subcommand("loader", "Loader images/s vs the decode limit and a naive baseline");
       auto args = std::make_shared<BenchLoaderArgs>();
       auto& o = args->options;
       loader->add_option("--data", o.path, "A .beton file, an ImageFolder directory, or .tar shards (file, glob, {a..b})")->required();
       loader->add_option("--res", o.resolution, "Output side in pixels")->capture_default_str();
       loader->add_option("--threads", o.threads, "Decode threads (0 = all cores)")->capture_default_str();
       loader->add_option("--batch-size", o.batch_size, "Images per batch")->capture_default_str();
       loader->add_option("--batches", o.batches, "Batches timed after the warm-up")->capture_default_str();
       loader->add_option("--warmup", o.warmup_batches, "Batches before the clock starts")->capture_default_str();
       loader->add_option("--seed", o.seed, "Seed of order and augmentation")->capture_default_str();
       loader->add_option("--order", args->order, "random | quasi_random | sequential")
           ->check(CLI::IsMember(fastimg::enum_choices<fastimg::loader::OrderKind>(fastimg::loader::kOrderKindNames)))
           ->capture_default_str();
       loader->add_option("--pipeline", args->pipeline, "train (random-resized-crop + flip) | val (center crop)")
           ->check(CLI::IsMember({"train", "val"}))
           ->capture_default_str();
       loader->add_flag("--no-baseline", args->no_baseline, "Skip the naive baseline");
       loader->add_flag("--json", args->json, "Print one JSON object instead of the table");
       loader->callback([args] {
         using namespace fastimg::loader;
         auto& o = args->options;
         o.order = fastimg::parse_enum<OrderKind>(kOrderKindNames, args->order, "--order");
         o.train_pipeline = args->pipeline == "train";
         o.baseline = !args->no_baseline;
         LoaderBenchResult r = run_loader_bench(o);
         std::string out = args->json ? to_json(o, r).dump() + "\n" : bench_table(o, r);
         std::fputs(out.c_str(), stdout);
       });
     }});

}  // namespace
