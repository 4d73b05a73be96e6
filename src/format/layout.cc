#include "format/layout.h"

#include "util/error.h"

namespace fastimg::format {

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kFloat: return "float";
    case FieldType::kInt: return "int";
    case FieldType::kRGBImage: return "rgb_image";
    case FieldType::kBytes: return "bytes";
    case FieldType::kNDArray: return "ndarray";
    case FieldType::kJSON: return "json";
    case FieldType::kTorchTensor: return "torch_tensor";
    case FieldType::kCustom: return "custom";
  }
  return "unknown";
}

FieldMetaLayout field_meta_layout(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
    case FieldType::kInt: return {8, 8};
    case FieldType::kRGBImage: return {sizeof(ImageMeta), 1};
    case FieldType::kBytes:
    case FieldType::kJSON: return {sizeof(BytesMeta), 8};
    case FieldType::kNDArray: return {8, 8};
    case FieldType::kTorchTensor:
    case FieldType::kCustom: break;
  }
  fail("field type {} ({}) is not supported", field_type_name(type), static_cast<int>(type));
}

}  // namespace fastimg::format
