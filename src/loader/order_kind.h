#pragma once
// Sample orders, in their own header so that order code needs no LibTorch.
namespace fastimg::loader {

enum class OrderKind { kSequential, kRandom, kQuasiRandom };

}  // namespace fastimg::loader
