// _fastimg.Loader, LoaderOptions and the transforms, over loader::Loader. next() releases the GIL
// while it waits for the loader threads, so Python threads (and the training step) run meanwhile.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>

#include "augment/center_crop.h"
#include "augment/flip.h"
#include "augment/random_resized_crop.h"
#include "loader/loader.h"
#include "python/bindings.h"
#include "python/tensor_export.h"
#include "util/error.h"
#include "util/named_enum.h"

namespace py = pybind11;

namespace fastimg::python {
namespace {

// One Python Loader: the C++ Loader until close(), and the copy fence of the batch last handed out.
class PyLoader {
 public:
  explicit PyLoader(loader::LoaderOptions options) {
    py::gil_scoped_release release;
    loader_ = std::make_unique<loader::Loader>(std::move(options));
  }
  ~PyLoader() {
    py::gil_scoped_release release;
    loader_.reset();
  }

  void start_epoch(int64_t epoch, int64_t first_batch) {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    open().start_epoch(epoch, first_batch);
  }

  // (images, labels) as DLPack capsules, or None at the end of the epoch.
  py::object next() {
    std::optional<loader::Batch> batch;
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mu_);
      fence_.reset();
      batch = open().next();
    }
    if (!batch) return py::none();
    fence_ = batch->fence;
    return py::make_tuple(to_capsule(batch->images), to_capsule(batch->labels));
  }

  // Non-blocking device copies from the last batch were queued on `device`'s current stream: its
  // slot is not refilled before they complete.
  void copies_queued(const std::string& device) {
    if (fence_) fence_->copies_queued(torch::Device(device));
  }

  void close() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    fence_.reset();
    loader_.reset();
  }
  bool closed() const { return loader_ == nullptr; }

  loader::Loader& open() const {
    if (!loader_) throw Error("the loader is closed");
    return *loader_;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<loader::Loader> loader_;
  std::shared_ptr<loader::CopyFence> fence_;
};

void bind_transforms(py::module_& m) {
  py::class_<augment::Transform, std::shared_ptr<augment::Transform>>(m, "Transform")
      .def_property_readonly("name", &augment::Transform::name);
  py::class_<augment::RandomResizedCrop, augment::Transform, std::shared_ptr<augment::RandomResizedCrop>>(
      m, "RandomResizedCrop")
      .def(py::init([](std::pair<double, double> scale, std::pair<double, double> ratio, int attempts) {
             return std::make_shared<augment::RandomResizedCrop>(
                 augment::RandomResizedCropParams{scale.first, scale.second, ratio.first, ratio.second, attempts});
           }),
           py::arg("scale") = std::pair{0.08, 1.0}, py::arg("ratio") = std::pair{3.0 / 4.0, 4.0 / 3.0},
           py::arg("attempts") = 10);
  py::class_<augment::CenterCrop, augment::Transform, std::shared_ptr<augment::CenterCrop>>(m, "CenterCrop")
      .def(py::init([](double ratio, bool resize_first) {
             return std::make_shared<augment::CenterCrop>(
                 ratio, resize_first ? augment::CenterCropMode::kResizeThenCrop : augment::CenterCropMode::kCropThenResize);
           }),
           py::arg("ratio") = augment::kDefaultCenterCropRatio, py::arg("resize_first") = false);
  py::class_<augment::RandomHorizontalFlip, augment::Transform, std::shared_ptr<augment::RandomHorizontalFlip>>(
      m, "RandomHorizontalFlip")
      .def(py::init<double>(), py::arg("p") = 0.5);
  // The crops the loader would draw for a width x height image (tests compare their statistics).
  m.def("random_resized_crops", [](int width, int height, uint64_t seed, int count, std::pair<double, double> scale,
                                    std::pair<double, double> ratio) {
    const augment::RandomResizedCropParams params{scale.first, scale.second, ratio.first, ratio.second, 10};
    std::vector<std::tuple<int, int, int, int>> crops;
    for (int i = 0; i < count; ++i) {
      Rng rng(derive_seed(seed, static_cast<uint64_t>(i)));
      const codec::Rect r = augment::random_resized_crop(width, height, rng, params);
      crops.emplace_back(r.x, r.y, r.width, r.height);
    }
    return crops;
  });
}

void bind_options(py::module_& m) {
  using loader::LoaderOptions;
  py::class_<LoaderOptions>(m, "LoaderOptions")
      .def(py::init<>())
      .def_readwrite("path", &LoaderOptions::path)
      .def_readwrite("batch_size", &LoaderOptions::batch_size)
      .def_readwrite("threads", &LoaderOptions::threads)
      .def_property(
          "order",
          [](const LoaderOptions& o) { return std::string(enum_name(EnumNames<loader::OrderKind>(loader::kOrderKindNames), o.order)); },
          [](LoaderOptions& o, const std::string& name) {
            o.order = parse_enum(EnumNames<loader::OrderKind>(loader::kOrderKindNames), name, "order");
          })
      .def_property(
          "transforms",
          [](const LoaderOptions& o) {
            std::vector<std::shared_ptr<augment::Transform>> out;
            for (const auto& t : o.transforms) out.push_back(std::const_pointer_cast<augment::Transform>(t));
            return out;
          },
          [](LoaderOptions& o, const std::vector<std::shared_ptr<augment::Transform>>& transforms) {
            o.transforms.assign(transforms.begin(), transforms.end());
          })
      .def_readwrite("resolution", &LoaderOptions::resolution)
      .def_readwrite("seed", &LoaderOptions::seed)
      .def_readwrite("drop_last", &LoaderOptions::drop_last)
      .def_readwrite("rank", &LoaderOptions::rank)
      .def_readwrite("world_size", &LoaderOptions::world_size)
      .def_readwrite("batches_ahead", &LoaderOptions::batches_ahead)
      .def_readwrite("pin_memory", &LoaderOptions::pin_memory)
      .def_readwrite("image_field", &LoaderOptions::image_field)
      .def_readwrite("label_field", &LoaderOptions::label_field)
      .def_readwrite("strict", &LoaderOptions::strict)
      .def_readwrite("indices", &LoaderOptions::indices);
}

}  // namespace

void bind_loader(py::module_& m) {
  bind_transforms(m);
  bind_options(m);
  py::class_<PyLoader>(m, "Loader")
      .def(py::init<loader::LoaderOptions>(), py::arg("options"))
      .def("start_epoch", &PyLoader::start_epoch, py::arg("epoch"), py::arg("first_batch") = 0)
      .def("next", &PyLoader::next)
      .def("copies_queued", &PyLoader::copies_queued, py::arg("device"))
      .def("set_resolution", [](PyLoader& l, int r) { l.open().set_resolution(r); }, py::arg("resolution"))
      .def("close", &PyLoader::close)
      .def_property_readonly("closed", &PyLoader::closed)
      .def_property_readonly("batches_per_epoch", [](const PyLoader& l) { return l.open().batches_per_epoch(); })
      .def_property_readonly("num_samples", [](const PyLoader& l) { return l.open().num_samples(); })
      .def_property_readonly("num_classes", [](const PyLoader& l) { return l.open().num_classes(); })
      .def_property_readonly("num_threads", [](const PyLoader& l) { return l.open().num_threads(); })
      .def_property_readonly("samples_decoded", [](const PyLoader& l) { return l.open().samples_decoded(); })
      .def_property_readonly("skipped_samples", [](const PyLoader& l) { return l.open().skipped_samples(); })
      .def_property_readonly("pinned", [](const PyLoader& l) { return l.open().pinned(); })
      .def("problems", [](const PyLoader& l) { return l.open().problems(); });
}

}  // namespace fastimg::python
