// fastimg: one executable, one subcommand per file (src/cli/*_command.cc).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "cli/command.h"
#include "cli/omp_wait_policy.h"
#include "util/error.h"

namespace fastimg::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}
bool register_command(Command command) {
  command_registry().push_back(std::move(command));
  return true;
}
}  // namespace fastimg::cli

namespace {
// c10::Error messages carry a multi-line C++ backtrace; the user gets the first line.
std::string first_line(const std::string& text) {
  auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}
}  // namespace

int main(int argc, char** argv) {
  fastimg::cli::ensure_passive_omp_wait(argv);
  CLI::App app{"fastimg: train image classifiers on ImageNet-scale data, fast"};
  app.require_subcommand(1);
  auto& commands = fastimg::cli::command_registry();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& command : commands) command.setup(*app.add_subcommand(command.name, command.help));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const fastimg::Error& e) {
    std::fprintf(stderr, "fastimg: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fastimg: error: %s\n", first_line(e.what()).c_str());
    return 1;
  }
  return 0;
}
