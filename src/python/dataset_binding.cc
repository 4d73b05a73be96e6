// Writing and inspecting .beton files from Python: the same functions `fastimg write` and
// `fastimg inspect` call. Writes release the GIL; their reports come back as dicts.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <set>

#include "format/inspect.h"
#include "format/reader.h"
#include "format/writer.h"
#include "loader/write_webdataset.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace fastimg::python {
namespace {

format::WriterOptions writer_options(int max_resolution, double jpeg_fraction, int jpeg_quality, bool reencode,
                                     int restart_interval, uint32_t page_size, int workers, uint64_t seed, bool shuffle, bool strict,
                                     bool progress) {
  format::WriterOptions o;
  o.reencode = reencode;
  o.restart_interval = restart_interval;
  o.max_resolution = max_resolution;
  o.jpeg_fraction = jpeg_fraction;
  o.jpeg_quality = jpeg_quality;
  o.page_size = page_size;
  o.workers = workers;
  o.seed = seed;
  o.shuffle = shuffle;
  o.strict = strict;
  o.progress = progress;
  return o;
}

py::dict report_dict(const format::WriteReport& r) {
  py::dict d;
  d["written"] = r.written;
  d["skipped"] = r.skipped;
  d["jpeg"] = r.jpeg;
  d["raw"] = r.raw;
  d["passthrough"] = r.passthrough;
  d["bytes"] = r.bytes;
  d["seconds"] = r.seconds;
  d["errors"] = r.errors;
  return d;
}

template <typename Write>
void def_writer(py::module_& m, const char* name, const char* source_arg, Write write) {
  m.def(
      name,
      [write](const std::string& source, const std::string& out, int max_resolution, double jpeg_fraction,
              int jpeg_quality, bool reencode, int restart_interval, uint32_t page_size, int workers, uint64_t seed,
              bool shuffle, bool strict, bool progress) {
        const auto options = writer_options(max_resolution, jpeg_fraction, jpeg_quality, reencode, restart_interval,
                                            page_size, workers, seed, shuffle, strict, progress);
        format::WriteReport report;
        {
          py::gil_scoped_release release;
          report = write(source, out, options);
        }
        return report_dict(report);
      },
      py::arg(source_arg), py::arg("out"), py::kw_only(), py::arg("max_resolution") = 0, py::arg("jpeg_fraction") = 1.0,
      py::arg("jpeg_quality") = 90, py::arg("reencode") = false, py::arg("restart_interval") = 0,
      py::arg("page_size") = format::kDefaultPageSize, py::arg("workers") = 0,
      py::arg("seed") = 0, py::arg("shuffle") = true, py::arg("strict") = false, py::arg("progress") = false);
}

}  // namespace

void bind_dataset(py::module_& m) {
  def_writer(m, "write_imagefolder", "folder", format::write_imagefolder);
  def_writer(m, "write_webdataset", "shards", loader::write_webdataset);
  m.def(
      "inspect_json", [](const std::string& path) { return format::to_json(format::inspect(path)).dump(); },
      py::arg("path"));
  // The distinct (height, width) of a .beton image field (FFCV's SimpleRGBImageDecoder needs one).
  m.def(
      "image_shapes",
      [](const std::string& path, const std::string& field) {
        const format::Reader reader(path);
        const int f = reader.field_index(field);
        std::set<std::pair<int, int>> shapes;
        for (uint64_t i = 0; i < reader.num_samples(); ++i) {
          const format::ImageMeta meta = reader.image_meta(i, f);
          shapes.emplace(meta.height, meta.width);
        }
        return shapes;
      },
      py::arg("path"), py::arg("field"));
}

}  // namespace fastimg::python
