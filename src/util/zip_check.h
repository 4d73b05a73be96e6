#pragma once
// Integrity of a zip file (LibTorch archives are zips of stored records): every record's CRC-32
// from the central directory recomputed over its bytes. LibTorch's reader skips this check, so a
// checkpoint with corrupted bytes in the middle would otherwise load as garbage weights.
#include <string>

namespace fastimg {

// "" when every stored record matches its CRC-32; otherwise what is wrong, e.g.
// "record 'archive/data/12' fails its CRC-32 check" or "no zip end-of-directory record".
std::string zip_integrity_problem(const std::string& path);

}  // namespace fastimg
