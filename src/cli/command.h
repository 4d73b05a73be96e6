#pragma once
// Subcommand registry: each src/cli/*_command.cc registers itself at static-init time, so adding a
// command never touches main.cc. The fastimg executable compiles these files directly (not via a
// static library), which keeps the registrations from being dropped by the linker.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace fastimg::cli {

struct Command {
  std::string name;
  std::string help;
  // Adds options to the subcommand and sets its callback.
  std::function<void(CLI::App&)> setup;
};

std::vector<Command>& command_registry();
bool register_command(Command command);

}  // namespace fastimg::cli
