#pragma once
// Stand-in for Gloo's header (see ../README.md): ProcessGroupGloo.hpp only holds these by smart pointer.
namespace gloo::transport {
class Device;
class UnboundBuffer;
}  // namespace gloo::transport
