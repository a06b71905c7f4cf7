// zstd streaming both ways (ZSTD_compressStream2 / ZSTD_decompressStream),
// and a writer that turns whole zero pages into holes with lseek.
#include "triage/util/core_stream.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace triage {
namespace {

constexpr size_t kPage = 4096;
constexpr uint64_t kCheckEvery = 16ull << 20;

Error io_error(const std::string& what) { return make_error(ErrorKind::kIo, what + ": " + std::strerror(errno)); }

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Writes at the file's current end, seeking over zero pages; finish() sets
// the size so a trailing hole counts.
class SparseWriter {
 public:
  explicit SparseWriter(int fd) : fd_(fd) {}
  bool write(const char* data, size_t size) {
    while (size > 0) {
      size_t chunk = std::min(size, kPage - static_cast<size_t>(offset_ % kPage));
      bool zero = chunk == kPage && std::all_of(data, data + chunk, [](char c) { return c == 0; });
      if (zero) {
        if (lseek(fd_, static_cast<off_t>(chunk), SEEK_CUR) < 0) return false;
      } else if (!write_all(fd_, data, chunk)) {
        return false;
      }
      offset_ += chunk;
      data += chunk;
      size -= chunk;
    }
    return true;
  }
  bool finish() { return ftruncate(fd_, static_cast<off_t>(offset_)) == 0; }
  uint64_t size() const { return offset_; }

 private:
  int fd_;
  uint64_t offset_ = 0;
};

struct CctxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

}  // namespace

Result<CopyOutcome> store_core(int in, int out, const CopyLimits& limits) {
  CopyOutcome outcome;
  std::unique_ptr<ZSTD_CCtx, CctxFree> cctx(limits.compress ? ZSTD_createCCtx() : nullptr);
  if (limits.compress) {
    if (!cctx) return make_error(ErrorKind::kIo, "zstd: out of memory");
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, limits.level);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  }
  SparseWriter sparse(out);
  std::vector<char> input(ZSTD_CStreamInSize() * 4), output(ZSTD_CStreamOutSize());
  uint64_t next_check = kCheckEvery;
  auto emit = [&](ZSTD_EndDirective mode, const char* data, size_t size) -> bool {
    ZSTD_inBuffer source{data, size, 0};
    for (;;) {
      ZSTD_outBuffer sink{output.data(), output.size(), 0};
      size_t left = ZSTD_compressStream2(cctx.get(), &sink, &source, mode);
      if (ZSTD_isError(left)) {
        errno = EIO;
        return false;
      }
      if (!write_all(out, output.data(), sink.pos)) return false;
      outcome.written_bytes += sink.pos;
      if (mode == ZSTD_e_end ? left == 0 : source.pos == source.size) return true;
    }
  };
  for (;;) {
    if (outcome.read_bytes >= limits.max_bytes) {
      // Is there more? One byte tells the cut from an exact fit.
      char probe;
      ssize_t n;
      while ((n = read(in, &probe, 1)) < 0 && errno == EINTR) {
      }
      outcome.cut = n > 0;
      break;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(input.size(), limits.max_bytes - outcome.read_bytes));
    ssize_t n = read(in, input.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      outcome.read_error = true;
      break;
    }
    if (n == 0) break;
    outcome.read_bytes += static_cast<uint64_t>(n);
    bool ok = limits.compress ? emit(ZSTD_e_continue, input.data(), static_cast<size_t>(n))
                              : sparse.write(input.data(), static_cast<size_t>(n));
    if (!ok) return io_error("cannot write the core");
    if (outcome.read_bytes >= next_check) {
      next_check += kCheckEvery;
      if (limits.keep_going && !limits.keep_going(outcome.read_bytes, limits.context)) {
        outcome.stopped = true;
        break;
      }
    }
  }
  if (limits.compress) {
    if (!emit(ZSTD_e_end, nullptr, 0)) return io_error("cannot write the core");
  } else {
    if (!sparse.finish()) return io_error("cannot write the core");
    outcome.written_bytes = sparse.size();
  }
  if (fsync(out) != 0) return io_error("cannot write the core to disk");
  return outcome;
}

Result<uint64_t> expand_core(int in, int out, bool compressed, uint64_t max_bytes, bool accept_cut) {
  SparseWriter sparse(out);
  std::vector<char> input(ZSTD_DStreamInSize()), output(ZSTD_DStreamOutSize());
  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(compressed ? ZSTD_createDCtx() : nullptr);
  if (compressed && !dctx) return make_error(ErrorKind::kIo, "zstd: out of memory");
  size_t last = 0;
  for (;;) {
    ssize_t n = read(in, input.data(), input.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read the stored core");
    if (n == 0) break;
    if (!compressed) {
      if (sparse.size() + static_cast<uint64_t>(n) > max_bytes)
        return make_error(ErrorKind::kMalformed, "the core is larger than " + std::to_string(max_bytes) + " bytes");
      if (!sparse.write(input.data(), static_cast<size_t>(n))) return io_error("cannot expand the core");
      continue;
    }
    ZSTD_inBuffer source{input.data(), static_cast<size_t>(n), 0};
    while (source.pos < source.size) {
      ZSTD_outBuffer sink{output.data(), output.size(), 0};
      last = ZSTD_decompressStream(dctx.get(), &sink, &source);
      if (ZSTD_isError(last))
        return make_error(ErrorKind::kMalformed, std::string("corrupt zstd data: ") + ZSTD_getErrorName(last));
      if (sparse.size() + sink.pos > max_bytes)
        return make_error(ErrorKind::kMalformed, "the core expands past " + std::to_string(max_bytes) + " bytes");
      if (!sparse.write(output.data(), sink.pos)) return io_error("cannot expand the core");
    }
  }
  if (compressed && last != 0 && !accept_cut) return make_error(ErrorKind::kMalformed, "the compressed core is cut short");
  if (!sparse.finish()) return io_error("cannot expand the core");
  return sparse.size();
}

}  // namespace triage
