// fastimg write --from-imagefolder DIR --out FILE: an ImageFolder to a .beton dataset file.
// fastimg write --from-webdataset 'train-*.tar' --out FILE: WebDataset shards (image + .cls) likewise.

#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "codec/image.h"
#include "format/writer.h"
#include "loader/write_webdataset.h"
#include "util/error.h"

namespace {

struct WriteArgs {
  std::string from_imagefolder, from_webdataset, out;
  fastimg::format::WriterOptions options;
  bool no_shuffle = false;
};

const bool registered = fastimg::cli::register_command(
    {"write", "Write an ImageFolder (DIR/<class>/<image>) or WebDataset shards to a .beton dataset file (FFCV layout)",
     [](CLI::App& app) {
       auto args = std::make_shared<WriteArgs>();
       auto& o = args->options;
       auto* from_folder =
           app.add_option("--from-imagefolder", args->from_imagefolder, "Source folder: DIR/<class>/<image>");
       auto* from_shards = app.add_option("--from-webdataset", args->from_webdataset,
                                          "Source tar shards (image + .cls per sample): a file, a glob or {a..b}");
       from_folder->excludes(from_shards);
       from_shards->excludes(from_folder);
       app.add_option("--out", args->out, "Output .beton file")->required();
       app.add_option("--max-res", o.max_resolution, "Shrink images whose longest side is larger (0 = keep)")
           ->capture_default_str();
       app.add_option("--jpeg-fraction", o.jpeg_fraction, "Per-image probability of JPEG (else raw pixels)")
           ->capture_default_str();
       app.add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality 1..100 of re-encoded images")->capture_default_str();
       app.add_flag("--reencode", o.reencode,
                    "Decode and re-encode every JPEG (default: a 3-channel baseline JPEG within --max-res is stored as is)");
       app.add_option("--restart-interval", o.restart_interval,
                      "JPEG restart markers about every N MCUs (4 recommended: about 2 % larger files; 2 makes crops no faster and files 5 % larger; 0 = none): crops then decode only the intervals they overlap")
           ->capture_default_str();
       app.add_option("--page-size", o.page_size, "Page size in bytes (power of two)")->capture_default_str();
       app.add_option("--workers", o.workers, "Decode/encode threads (0 = all cores)")->capture_default_str();
       app.add_option("--seed", o.seed, "Seed of the write order and JPEG/raw choices")->capture_default_str();
       app.add_flag("--strict", o.strict, "Fail on the first unreadable image instead of skipping it");
       app.add_flag("--no-shuffle", args->no_shuffle, "Keep the folder order (class runs in pages)");
       app.callback([args] {
         args->options.shuffle = !args->no_shuffle;
         args->options.progress = true;
         if (args->from_imagefolder.empty() && args->from_webdataset.empty())
           throw fastimg::Error("write: give --from-imagefolder DIR or --from-webdataset 'SHARDS.tar'");
         fastimg::format::WriteReport report;
         if (!args->from_webdataset.empty()) {
           report = fastimg::loader::write_webdataset(args->from_webdataset, args->out, args->options);
         } else {
           report = fastimg::format::write_imagefolder(args->from_imagefolder, args->out, args->options);
         }
         // printf, not fmt: this file sees LibTorch's bundled fmt headers (the PCH), not the system's.
         for (const auto& error : report.errors) std::fprintf(stderr, "skipped: %s\n", error.c_str());
         std::printf("wrote %s: %llu images (%llu JPEG, %llu of them as is, %llu raw), %llu skipped, %.1f MiB, %.1f s, %.0f images/s\n",
                     args->out.c_str(), static_cast<unsigned long long>(report.written),
                     static_cast<unsigned long long>(report.jpeg), static_cast<unsigned long long>(report.passthrough),
                     static_cast<unsigned long long>(report.raw),
                     static_cast<unsigned long long>(report.skipped), report.bytes / 1048576.0, report.seconds,
                     (report.written + report.skipped) / std::max(report.seconds, 1e-9));
       });
     }});

}  // namespace
