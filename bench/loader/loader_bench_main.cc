// Stand-alone `bench loader` (same code as `fastimg bench loader`), buildable without the CLI:
//   loader_bench FILE [res] [threads] [batch] [batches] [random|quasi_random|sequential] [train|val]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/loader/library/loader_bench.h"
#include "util/named_enum.h"

int main(int argc, char** argv) {
  using namespace fastimg::loader;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [res] [threads] [batch] [batches] [order] [pipeline]\n", argv[0]);
    return 2;
  }
  LoaderBenchOptions o;
  o.path = argv[1];
  if (argc > 2) o.resolution = std::atoi(argv[2]);
  if (argc > 3) o.threads = std::atoi(argv[3]);
  if (argc > 4) o.batch_size = std::atoi(argv[4]);
  if (argc > 5) o.batches = std::atoi(argv[5]);
  if (argc > 7) o.train_pipeline = std::string(argv[7]) != "val";
  try {
    if (argc > 6) o.order = fastimg::parse_enum<OrderKind>(kOrderKindNames, argv[6], "order");
    LoaderBenchResult r = run_loader_bench(o);
    std::fputs(bench_table(o, r).c_str(), stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
