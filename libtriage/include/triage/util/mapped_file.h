// A read-only, private memory mapping of a whole file. Owns the mapping.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "triage/error.h"

namespace triage {

class MappedFile {
 public:
  // Maps `path`; an error says what is wrong in words a user can act on
  // (missing, a directory, empty, unreadable).
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  // An anonymous in-memory file (memfd) holding `bytes`, for libraries that
  // want a file descriptor. `fd_out` gets a descriptor of it the caller owns.
  static Result<std::shared_ptr<MappedFile>> from_bytes(const std::string& name, std::span<const std::byte> bytes,
                                                        int* fd_out);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  // Writable copy-on-write view, for libraries that want a non-const pointer.
  std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, std::byte* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  std::byte* data_;
  size_t size_;
};

}  // namespace triage
