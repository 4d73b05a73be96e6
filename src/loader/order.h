#pragma once
// The sample order of one epoch on one rank. Every order is a function of (seed, epoch) only, so
// batches do not depend on thread count; every rank gets the same number of samples.
//
// Sharding: the global order is dealt out round-robin (rank r takes positions r, r+W, ...). All
// ranks then walk the same pages at the same time, which a shared page cache serves once.
//  - drop_last: the global order is cut to a multiple of world_size * batch_size, so every rank
//    gets only full batches and the shards are disjoint;
//  - otherwise it is padded by wrapping around to a multiple of world_size (at most world_size - 1
//    repeats), and the last batch may be short.
// Quasi-random: pages in a seeded random order; samples drawn uniformly from the samples of a
// window of `window_pages` open pages; a page that runs out is replaced by the next one. Reads are
// thus confined to a few pages at a time, so a file larger than RAM streams from disk.
#include <cstdint>
#include <span>
#include <vector>

#include "loader/order_kind.h"

namespace fastimg::loader {

struct OrderOptions {
  OrderKind kind = OrderKind::kRandom;
  uint64_t seed = 0;
  int64_t epoch = 0;
  int rank = 0;
  int world_size = 1;
  int batch_size = 1;
  bool drop_last = true;
  int window_pages = 4;  // quasi-random only
};

// The whole-file order before sharding; page_of[i] is sample i's page (quasi-random only).
std::vector<uint64_t> global_order(uint64_t num_samples, std::span<const uint64_t> page_of, const OrderOptions& options);

// This rank's samples for the epoch.
std::vector<uint64_t> rank_order(uint64_t num_samples, std::span<const uint64_t> page_of, const OrderOptions& options);

// Samples per rank and batches per rank for a file of num_samples (the same for every rank).
uint64_t samples_per_rank(uint64_t num_samples, const OrderOptions& options);
uint64_t batches_per_rank(uint64_t num_samples, const OrderOptions& options);

}  // namespace fastimg::loader
