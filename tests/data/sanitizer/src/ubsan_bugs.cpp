// UndefinedBehaviorSanitizer findings, one per mode (argv[1]). Built by
// ../make-samples.sh with -fsanitize=undefined plus the integer checks that
// -fsanitize=undefined leaves out; each mode's stderr is saved as
// ../ubsan-<mode>.stderr.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile int sink;
volatile int int_max = INT_MAX;
volatile int int_min = INT_MIN;
volatile int zero = 0;
volatile int minus_one = -1;
volatile int index_four = 4;
volatile int forty = 40;
volatile unsigned uint_max = UINT_MAX;
volatile float huge = 1e20f;

enum Color { kRed, kGreen, kBlue };

struct Animal {
  virtual ~Animal() = default;
  int legs = 4;
};
struct Bird : Animal {
  int wings = 2;
};

__attribute__((noinline)) int sign_of(int x) {
  if (x > 0) return 1;
  if (x < 0) return -1;
  __builtin_unreachable();
}

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wreturn-type"
__attribute__((noinline)) int missing_return(int x) {
  if (x) return 1;
}
#pragma clang diagnostic pop

__attribute__((noinline, nonnull)) int first_of(const int* p) { return p[0]; }

__attribute__((noinline, returns_nonnull)) int* never_null() {
  static int* volatile result = nullptr;
  return result;
}

__attribute__((noinline)) void takes_double(double d) { sink = static_cast<int>(d); }

__attribute__((noinline)) void run(const std::string& mode) {
  if (mode == "signed-integer-overflow") {
    sink = int_max + 1;
  } else if (mode == "unsigned-integer-overflow") {
    sink = static_cast<int>(uint_max + 1u);
  } else if (mode == "negation-overflow") {
    sink = -int_min;
  } else if (mode == "division-overflow") {
    sink = int_min / minus_one;
  } else if (mode == "integer-divide-by-zero") {
    sink = 10 / zero;
  } else if (mode == "null-pointer-use") {
    int* volatile p = nullptr;
    sink = *p;
  } else if (mode == "misaligned-pointer-use") {
    alignas(8) char buffer[16] = {0};
    char* volatile base = buffer;
    sink = *reinterpret_cast<int*>(base + 1);
  } else if (mode == "out-of-bounds-index") {
    int table[4] = {1, 2, 3, 4};
    sink = table[index_four];
  } else if (mode == "invalid-shift-exponent") {
    sink = 1 << forty;
  } else if (mode == "invalid-shift-base") {
    sink = minus_one << 3;
  } else if (mode == "invalid-bool-load") {
    char byte = 2;
    bool flag;
    memcpy(&flag, &byte, 1);
    sink = flag ? 1 : 0;
  } else if (mode == "invalid-enum-load") {
    int value = 7;
    Color color;
    memcpy(&color, &value, sizeof color);
    sink = color == kBlue;
  } else if (mode == "unreachable") {
    sink = sign_of(zero);
  } else if (mode == "missing-return") {
    sink = missing_return(zero);
  } else if (mode == "vla-bound") {
    int n = minus_one;
    char vla[n];
    sink = sizeof vla;
  } else if (mode == "float-cast-overflow") {
    sink = static_cast<int>(huge);
  } else if (mode == "pointer-overflow") {
    char* volatile p = nullptr;
    char* q = p + index_four;
    sink = q != nullptr;
  } else if (mode == "invalid-null-argument") {
    const int* volatile p = nullptr;
    sink = first_of(p);
  } else if (mode == "invalid-null-return") {
    int* volatile result = never_null();
    sink = result != nullptr;
  } else if (mode == "implicit-sign-change") {
    int value = minus_one;
    unsigned converted = value;
    sink = static_cast<int>(converted >> 1);
  } else if (mode == "implicit-signed-truncation") {
    int value = 300 + zero;
    unsigned char converted = value;
    sink = converted;
  } else if (mode == "implicit-unsigned-truncation") {
    unsigned value = 300u + static_cast<unsigned>(zero);
    unsigned char converted = value;
    sink = converted;
  } else if (mode == "implicit-truncation-sign-change") {
    int value = minus_one;
    unsigned char converted = value;
    sink = converted;
  } else if (mode == "dynamic-type-mismatch") {
    Animal animal;
    Animal* volatile p = &animal;
    sink = static_cast<Bird*>(p)->wings;
  } else if (mode == "function-type-mismatch") {
    void (*volatile function)(int) = reinterpret_cast<void (*)(int)>(&takes_double);
    function(1);
  } else if (mode == "invalid-builtin-use") {
    sink = __builtin_clz(static_cast<unsigned>(zero));
  } else if (mode == "alignment-assumption") {
    alignas(64) char buffer[128] = {0};
    char* volatile p = buffer + 1;
    char* aligned = static_cast<char*>(__builtin_assume_aligned(p, 64));
    sink = aligned[0];
  } else if (mode == "segv") {
    *reinterpret_cast<volatile int*>(0x12345678) = 1;
  } else {
    exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  fprintf(stderr, "ubsan_bugs: about to run %s\n", argv[1]);
  run(argv[1]);
  fprintf(stderr, "ubsan_bugs: %s survived\n", argv[1]);
  return 0;
}
