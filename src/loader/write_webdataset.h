#pragma once
// WebDataset shards (image + .cls per sample) to a .beton file: `fastimg write --from-webdataset`
// and `fastimg.write_webdataset` in Python.
#include <string>

#include "format/writer.h"

namespace fastimg::loader {

// shards: a .tar file, a glob or a brace list. Members that could not be paired into a labelled
// sample are listed in the report's errors (with options.strict they are an error).
format::WriteReport write_webdataset(const std::string& shards, const std::string& out_path,
                                     const format::WriterOptions& options);

}  // namespace fastimg::loader
