#include "loader/order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <list>
#include <map>
#include <set>
#include <vector>

namespace fastimg::loader {
namespace {

std::vector<uint64_t> pages_for(uint64_t n, uint64_t per_page) {
  std::vector<uint64_t> p(n);
  for (uint64_t i = 0; i < n; ++i) p[i] = i / per_page;
  return p;
}

TEST(Order, EveryKindIsAPermutationAndSeeded) {
  const uint64_t n = 1003;
  auto pages = pages_for(n, 37);
  for (OrderKind kind : {OrderKind::kSequential, OrderKind::kRandom, OrderKind::kQuasiRandom}) {
    OrderOptions o{kind, 5, 0};
    auto a = global_order(n, pages, o);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i);
    EXPECT_EQ(a, global_order(n, pages, o));
    o.epoch = 1;
    if (kind == OrderKind::kSequential) EXPECT_EQ(a, global_order(n, pages, o));
    else EXPECT_NE(a, global_order(n, pages, o));
  }
}

TEST(Order, ShardsHaveEqualCountsAndCoverTheData) {
  auto check = [](uint64_t n, int world, int batch, bool drop_last, OrderKind kind) {
    auto pages = pages_for(n, 10);
    std::map<uint64_t, int> seen;
    uint64_t per_rank = 0;
    for (int r = 0; r < world; ++r) {
      OrderOptions o{kind, 9, 3, r, world, batch, drop_last};
      auto v = rank_order(n, pages, o);
      if (r == 0) per_rank = v.size();
      EXPECT_EQ(v.size(), per_rank);
      EXPECT_EQ(v.size(), samples_per_rank(n, o));
      const uint64_t batches = batches_per_rank(n, o);
      if (drop_last) EXPECT_EQ(batches * batch, v.size());
      else EXPECT_EQ(batches, (v.size() + batch - 1) / batch);
      for (uint64_t s : v) seen[s]++;
    }
    if (drop_last) {
      for (auto [s, c] : seen) EXPECT_EQ(c, 1) << "sample " << s << " in two shards";
      EXPECT_EQ(seen.size(), n / (uint64_t(world) * batch) * world * batch);
    } else {
      EXPECT_EQ(seen.size(), n);  // every sample, a few (< world) twice to even out the ranks
      uint64_t extra = 0;
      for (auto [s, c] : seen) extra += c - 1;
      EXPECT_LT(extra, uint64_t(world));
      EXPECT_EQ(extra, per_rank * world - n);
    }
  };
  for (OrderKind kind : {OrderKind::kSequential, OrderKind::kRandom, OrderKind::kQuasiRandom})
    for (int world : {1, 2, 3})
      for (bool drop : {true, false})
        for (uint64_t n : {uint64_t{100}, uint64_t{101}, uint64_t{96}}) check(n, world, 8, drop, kind);
}

TEST(Order, ExactlyOnceWhenItDivides) {
  auto pages = pages_for(96, 10);
  for (bool drop : {true, false}) {
    std::set<uint64_t> all;
    for (int r = 0; r < 3; ++r) {
      auto v = rank_order(96, pages, {OrderKind::kQuasiRandom, 1, 0, r, 3, 8, drop});
      for (uint64_t s : v) EXPECT_TRUE(all.insert(s).second);
    }
    EXPECT_EQ(all.size(), 96u);
  }
}

// Quasi-random keeps at most `window_pages` pages open at a time and reads each page in one
// stretch; random order touches nearly every page all the time.
TEST(Order, QuasiRandomReadsPagesMostlyInSequence) {
  const uint64_t n = 20000, per_page = 100;
  auto pages = pages_for(n, per_page);
  auto open_pages = [&](const std::vector<uint64_t>& v) {
    std::map<uint64_t, std::pair<size_t, size_t>> span;  // page -> first, last position
    for (size_t i = 0; i < v.size(); ++i) {
      auto [it, fresh] = span.try_emplace(pages[v[i]], i, i);
      it->second.second = i;
    }
    double total = 0;
    size_t max_open = 0;
    std::vector<int> delta(v.size() + 1, 0);
    for (auto& [p, fl] : span) {
      delta[fl.first]++;
      delta[fl.second + 1]--;
    }
    int open = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      open += delta[i];
      total += open;
      max_open = std::max<size_t>(max_open, open);
    }
    return std::pair{total / v.size(), max_open};
  };
  OrderOptions q{OrderKind::kQuasiRandom, 2, 0};
  q.window_pages = 4;
  auto [q_mean, q_max] = open_pages(global_order(n, pages, q));
  auto [r_mean, r_max] = open_pages(global_order(n, pages, {OrderKind::kRandom, 2, 0}));
  RecordProperty("quasi_mean_open_pages", std::to_string(q_mean));
  RecordProperty("random_mean_open_pages", std::to_string(r_mean));
  EXPECT_LE(q_max, 5u);  // window + the page that replaces an exhausted one
  EXPECT_GT(r_mean, 150.0);
  // Neighbouring samples of the quasi-random order are far from sequential within the window:
  // the order is still well mixed inside the open pages.
  auto v = global_order(n, pages, q);
  int adjacent = 0;
  for (size_t i = 1; i < v.size(); ++i) adjacent += v[i] == v[i - 1] + 1;
  EXPECT_LT(adjacent, int(n / 50));
}

// The fraction that matters for a file larger than RAM: of all sample reads, how many find their
// page already in a page cache that holds only twice the window (LRU)? Each miss is one page read
// from disk, and each page is read whole and in sequence.
double page_cache_hit_fraction(const std::vector<uint64_t>& order, const std::vector<uint64_t>& pages, size_t capacity,
                               uint64_t& misses) {
  std::list<uint64_t> lru;
  misses = 0;
  for (uint64_t s : order) {
    const uint64_t p = pages[s];
    auto it = std::find(lru.begin(), lru.end(), p);
    if (it != lru.end()) {
      lru.erase(it);
    } else {
      ++misses;
      if (lru.size() == capacity) lru.pop_back();
    }
    lru.push_front(p);
  }
  return 1.0 - double(misses) / order.size();
}

TEST(Order, QuasiRandomReadsEachPageOnceFromASmallPageCache) {
  const uint64_t n = 20000, per_page = 100;
  auto pages = pages_for(n, per_page);
  OrderOptions q{OrderKind::kQuasiRandom, 3, 1};
  q.window_pages = 4;
  uint64_t q_misses = 0, r_misses = 0;
  const double q_hits = page_cache_hit_fraction(global_order(n, pages, q), pages, 2 * q.window_pages, q_misses);
  const double r_hits =
      page_cache_hit_fraction(global_order(n, pages, {OrderKind::kRandom, 3, 1}), pages, 2 * q.window_pages, r_misses);
  std::printf("page-cache hit fraction (8-page LRU, %llu pages): quasi-random %.4f (%llu page reads), random %.4f "
              "(%llu page reads)\n",
              static_cast<unsigned long long>(n / per_page), q_hits, static_cast<unsigned long long>(q_misses), r_hits,
              static_cast<unsigned long long>(r_misses));
  RecordProperty("quasi_page_cache_hit_fraction", std::to_string(q_hits));
  RecordProperty("random_page_cache_hit_fraction", std::to_string(r_hits));
  EXPECT_LE(q_misses, n / per_page * 102 / 100);  // every page read once, give or take 2%
  EXPECT_GE(q_hits, 0.985);
  EXPECT_LT(r_hits, 0.05);
  // Sharded (rank r takes every world-th sample of the same order): each rank still reads every
  // page once and in the same sequence, so ranks on one node share the page cache.
  for (int world : {2, 3}) {
    for (int rank = 0; rank < world; ++rank) {
      OrderOptions s = q;
      s.rank = rank;
      s.world_size = world;
      uint64_t misses = 0;
      page_cache_hit_fraction(rank_order(n, pages, s), pages, 2 * q.window_pages, misses);
      EXPECT_LE(misses, n / per_page * 102 / 100) << "rank " << rank << " of " << world;
    }
  }
}

}  // namespace
}  // namespace fastimg::loader
