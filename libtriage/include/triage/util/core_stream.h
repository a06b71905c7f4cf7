// Moving a core between the kernel's pipe, the spool and the analysis: the
// core read from a descriptor up to a byte limit and stored zstd-compressed
// (or plain and sparse), and a stored core expanded again into a sparse file
// (zero pages become holes) for the analysis. Owns nothing but the streams.
#pragma once

#include <cstdint>
#include <string>

#include "triage/error.h"

namespace triage {

struct CopyLimits {
  uint64_t max_bytes = UINT64_MAX;  // input past this is not read
  bool compress = true;
  int level = 3;  // zstd: fast, and cores of zeros and pointers shrink well anyway
  // Called every few MiB with the bytes read so far; false stops the copy
  // (the free-space floor was reached).
  bool (*keep_going)(uint64_t read_bytes, void* context) = nullptr;
  void* context = nullptr;
};

struct CopyOutcome {
  uint64_t read_bytes = 0;     // from the input
  uint64_t written_bytes = 0;  // to the output
  bool cut = false;            // stopped at max_bytes with more input waiting
  bool stopped = false;        // keep_going said stop
  bool read_error = false;     // the input failed before its end
};

// Copies `in` to `out` (a fresh file), compressed unless limits.compress is
// false (then zero pages are skipped as holes). An output error is an Error.
Result<CopyOutcome> store_core(int in, int out, const CopyLimits& limits);

// Expands a stored core (`compressed`: zstd, else plain) from `in` into
// `out`, leaving holes for zero pages; at most max_bytes are written (a
// stored core that expands past it is refused: kMalformed). A compressed
// stream cut short is an error unless `accept_cut` (a capture that died).
Result<uint64_t> expand_core(int in, int out, bool compressed, uint64_t max_bytes, bool accept_cut = false);

}  // namespace triage
