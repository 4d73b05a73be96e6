#pragma once
// docs/config.md, generated from the settings table (a test keeps the committed file equal);
// `fastimg train --help-config` prints it.
#include <string>

namespace fastimg::train {

std::string config_reference_markdown();

}  // namespace fastimg::train
