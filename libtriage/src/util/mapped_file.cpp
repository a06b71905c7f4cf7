#include "triage/util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace triage {

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever;
  // the type is checked on the descriptor, so nothing can swap the file in between.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                      path + ": " + std::strerror(err));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(ErrorKind::kIo, path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::kIo, path + ": is a directory, not a file (use -i DIR for a folder of cores)");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::kIo, path + ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return make_error(ErrorKind::kNotACore, path + ": empty file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  // MAP_PRIVATE with PROT_WRITE: libelf may want a writable image; writes
  // never reach the file.
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (data == MAP_FAILED) return make_error(ErrorKind::kIo, path + ": cannot map: " + std::strerror(err));
  return std::shared_ptr<MappedFile>(new MappedFile(path, static_cast<std::byte*>(data), size));
}

Result<std::shared_ptr<MappedFile>> MappedFile::from_bytes(const std::string& name,
                                                          std::span<const std::byte> bytes, int* fd_out) {
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::kIo, name + ": memfd_create: " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) {
      ::close(fd);
      return make_error(ErrorKind::kIo, name + ": cannot write its image: " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  auto mapped = open("/proc/self/fd/" + std::to_string(fd));
  if (!mapped) {
    ::close(fd);
    return mapped.error();
  }
  (*mapped)->path_ = name;
  *fd_out = fd;
  return mapped;
}

MappedFile::~MappedFile() { munmap(data_, size_); }

}  // namespace triage
