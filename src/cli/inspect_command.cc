// fastimg inspect FILE [--json]: what a .beton file holds.
#include <cstdio>

#include "cli/command.h"
#include "format/inspect.h"

namespace {

struct InspectArgs {
  std::string file;
  bool json = false;
};

const bool registered = fastimg::cli::register_command(
    {"inspect", "Summarise a .beton dataset file: header, fields, sample count, image sizes, labels",
     [](CLI::App& app) {
       auto args = std::make_shared<InspectArgs>();
       app.add_option("file", args->file, "The .beton file")->required();
       app.add_flag("--json", args->json, "Print one JSON object instead of text");
       app.callback([args] {
         auto summary = fastimg::format::inspect(args->file);
         std::string out = args->json ? fastimg::format::to_json(summary).dump() + "\n" : fastimg::format::to_text(summary);
         std::fputs(out.c_str(), stdout);
       });
     }});

}  // namespace
