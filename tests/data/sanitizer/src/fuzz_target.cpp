// A libFuzzer target whose input picks what goes wrong. Built by
// ../make-samples.sh with -fsanitize=fuzzer (libFuzzer's own reports) and with
// -fsanitize=fuzzer,address (a sanitizer's report inside libFuzzer's output,
// and the malloc and RSS limits, which need a sanitizer's allocator).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

volatile int sink;

bool is(const uint8_t* data, size_t size, const char* word) {
  size_t length = strlen(word);
  return size >= length && memcmp(data, word, length) == 0;
}

__attribute__((noinline)) void write_null(int value) { *reinterpret_cast<volatile int*>(8) = value; }

__attribute__((noinline)) void overflow_heap(const uint8_t* data, size_t size) {
  char* copy = static_cast<char*>(malloc(4));
  memcpy(copy, data, size);  // size > 4
  sink = copy[0];
  free(copy);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (is(data, size, "crash")) write_null(static_cast<int>(size));
  if (is(data, size, "abort")) abort();
  if (is(data, size, "exit")) exit(0);
  if (is(data, size, "loop")) {
    for (;;) sink = sink + 1;
  }
  if (is(data, size, "malloc")) {
    void* volatile block = malloc(size_t(100) << 20);
    free(block);
  }
  if (is(data, size, "rss")) {
    static std::vector<char*> kept;
    for (;;) {
      char* block = static_cast<char*>(malloc(size_t(8) << 20));
      memset(block, 1, size_t(8) << 20);
      kept.push_back(block);
    }
  }
  if (is(data, size, "const")) const_cast<uint8_t*>(data)[0] = 'C';
  if (is(data, size, "heap")) overflow_heap(data, size);
  return 0;
}
