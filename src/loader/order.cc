#include "loader/order.h"

#include <algorithm>
#include <numeric>

#include "util/error.h"
#include "util/rng.h"

namespace fastimg::loader {
namespace {

// Stream tags keep the order's random numbers apart from the augmentation's (seed, epoch, sample).
constexpr uint64_t kOrderStream = 0x6f72646572ULL;  // "order"

void shuffle(std::vector<uint64_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(i) - 1))]);
  }
}

std::vector<uint64_t> quasi_random(uint64_t n, std::span<const uint64_t> page_of, Rng& rng, int window_pages) {
  if (page_of.size() != n) fail("quasi-random order: page table has {} entries for {} samples", page_of.size(), n);
  uint64_t num_pages = 0;
  for (uint64_t p : page_of) num_pages = std::max(num_pages, p + 1);
  // Samples grouped by page (counting sort keeps it O(n)).
  std::vector<uint64_t> start(num_pages + 1, 0);
  for (uint64_t p : page_of) ++start[p + 1];
  for (uint64_t p = 0; p < num_pages; ++p) start[p + 1] += start[p];
  std::vector<uint64_t> by_page(n), fill(start.begin(), start.end() - 1);
  for (uint64_t i = 0; i < n; ++i) by_page[fill[page_of[i]]++] = i;

  std::vector<uint64_t> pages;
  for (uint64_t p = 0; p < num_pages; ++p)
    if (start[p + 1] > start[p]) pages.push_back(p);
  shuffle(pages, rng);

  std::vector<uint64_t> order, pool;
  order.reserve(n);
  size_t next_page = 0;
  auto open_page = [&] {
    const uint64_t p = pages[next_page++];
    pool.insert(pool.end(), by_page.begin() + static_cast<std::ptrdiff_t>(start[p]),
                by_page.begin() + static_cast<std::ptrdiff_t>(start[p + 1]));
  };
  std::vector<uint64_t> remaining(num_pages, 0);
  for (uint64_t p = 0; p < num_pages; ++p) remaining[p] = start[p + 1] - start[p];
  for (int w = 0; w < std::max(1, window_pages) && next_page < pages.size(); ++w) open_page();
  while (!pool.empty()) {
    const size_t k = static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(pool.size()) - 1));
    const uint64_t s = pool[k];
    pool[k] = pool.back();
    pool.pop_back();
    order.push_back(s);
    if (--remaining[page_of[s]] == 0 && next_page < pages.size()) open_page();
  }
  return order;
}

}  // namespace

std::vector<uint64_t> global_order(uint64_t n, std::span<const uint64_t> page_of, const OrderOptions& options) {
  Rng rng(derive_seed(options.seed, static_cast<uint64_t>(options.epoch), kOrderStream));
  switch (options.kind) {
    case OrderKind::kSequential: {
      std::vector<uint64_t> v(n);
      std::iota(v.begin(), v.end(), uint64_t{0});
      return v;
    }
    case OrderKind::kRandom: {
      std::vector<uint64_t> v(n);
      std::iota(v.begin(), v.end(), uint64_t{0});
      shuffle(v, rng);
      return v;
    }
    case OrderKind::kQuasiRandom:
      return quasi_random(n, page_of, rng, options.window_pages);
  }
  fail("unknown order kind");
}

uint64_t samples_per_rank(uint64_t n, const OrderOptions& o) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) fail("rank {} of world size {}", o.rank, o.world_size);
  if (o.batch_size < 1) fail("batch size {} < 1", o.batch_size);
  const uint64_t w = static_cast<uint64_t>(o.world_size), b = static_cast<uint64_t>(o.batch_size);
  if (o.drop_last) return n / (w * b) * b;
  return (n + w - 1) / w;
}

uint64_t batches_per_rank(uint64_t n, const OrderOptions& o) {
  const uint64_t per_rank = samples_per_rank(n, o), b = static_cast<uint64_t>(o.batch_size);
  return o.drop_last ? per_rank / b : (per_rank + b - 1) / b;
}

std::vector<uint64_t> rank_order(uint64_t n, std::span<const uint64_t> page_of, const OrderOptions& o) {
  const uint64_t per_rank = samples_per_rank(n, o);
  std::vector<uint64_t> out;
  if (n == 0 || per_rank == 0) return out;
  const std::vector<uint64_t> all = global_order(n, page_of, o);
  out.reserve(per_rank);
  const uint64_t w = static_cast<uint64_t>(o.world_size);
  for (uint64_t i = 0; i < per_rank; ++i) out.push_back(all[(i * w + static_cast<uint64_t>(o.rank)) % n]);
  return out;
}

}  // namespace fastimg::loader
