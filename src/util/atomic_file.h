#pragma once
// Output files appear complete or not at all: data goes to "<path>.tmp-<pid>", which is renamed
// over <path> by commit(). An AtomicFile destroyed without commit() (exception) removes the temp
// file, and SIGINT/SIGTERM remove every live temp file before the process exits.
#include <cstdio>
#include <string>

namespace fastimg {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  int fd() const { return fd_; }
  // fsync, close and rename into place.
  void commit();

 private:
  std::string final_path_, temp_path_;
  int fd_ = -1;
  int slot_ = -1;  // in the signal handler's registry
  bool committed_ = false;
};

// Writes a whole text/binary file atomically.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace fastimg
