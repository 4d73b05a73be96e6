#pragma once
// Sample orders, in their own header so that order code needs no LibTorch.
#include <utility>

namespace fastimg::loader {

enum class OrderKind { kSequential, kRandom, kQuasiRandom };

// The one spelling of each order in configs and on the command line.
inline constexpr std::pair<const char*, OrderKind> kOrderKindNames[] = {
    {"sequential", OrderKind::kSequential}, {"random", OrderKind::kRandom}, {"quasi_random", OrderKind::kQuasiRandom}};

}  // namespace fastimg::loader
