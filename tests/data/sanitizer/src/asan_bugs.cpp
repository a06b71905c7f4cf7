// AddressSanitizer and LeakSanitizer findings, one per mode (argv[1]).
// Built by ../make-samples.sh with -fsanitize=address; each mode's stderr is
// saved as ../asan-<mode>.stderr.
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <string>

namespace {

volatile int sink;
volatile size_t big_index = 10;
char global_buffer[10];

__attribute__((noinline)) void heap_read() {
  char* p = static_cast<char*>(malloc(10));
  sink = p[big_index];
  free(p);
}

__attribute__((noinline)) void heap_write() {
  char* p = static_cast<char*>(malloc(10));
  p[big_index] = 1;
  free(p);
}

__attribute__((noinline)) void heap_memcpy() {
  char* p = static_cast<char*>(malloc(10));
  char q[32] = {0};
  memcpy(q, p, big_index + 6);
  sink = q[0];
  free(p);
}

__attribute__((noinline)) void stack_read() {
  char buffer[10] = {0};
  sink = buffer[big_index];
}

__attribute__((noinline)) void stack_write() {
  char buffer[10];
  buffer[big_index] = 1;
  sink = buffer[0];
}

__attribute__((noinline)) void stack_underflow() {
  char buffer[10];
  volatile int index = -1;
  buffer[index] = 1;
  sink = buffer[0];
}

__attribute__((noinline)) void dynamic_stack(int n) {
  char buffer[n];
  buffer[big_index] = 1;
  sink = buffer[0];
}

__attribute__((noinline)) void global_read() { sink = global_buffer[big_index]; }

__attribute__((noinline)) void global_write() { global_buffer[big_index] = 1; }

__attribute__((noinline)) void use_after_free_read() {
  int* p = new int[4];
  delete[] p;
  sink = p[1];
}

__attribute__((noinline)) void use_after_free_write() {
  int* p = new int[4];
  delete[] p;
  p[1] = 7;
}

__attribute__((noinline)) void double_free() {
  char* p = static_cast<char*>(malloc(16));
  free(p);
  free(p);
}

__attribute__((noinline)) void bad_free() {
  char* p = static_cast<char*>(malloc(16));
  free(p + 4);
}

__attribute__((noinline)) void alloc_dealloc_mismatch() {
  int* p = static_cast<int*>(malloc(sizeof(int)));
  delete p;
}

struct Base { int a; };
struct Derived : Base { int b[8]; };

__attribute__((noinline)) void new_delete_type_mismatch() {
  Base* p = new Derived;
  delete p;
}

__attribute__((noinline)) int* escape_local() {
  int local[4] = {1, 2, 3, 4};
  int* volatile p = local;
  return p;
}

__attribute__((noinline)) void use_after_return() { sink = escape_local()[1]; }

__attribute__((noinline)) void use_after_scope() {
  int* volatile p;
  {
    int local = 5;
    p = &local;
  }
  *p = 6;
}

__attribute__((noinline)) void container_overflow() {
  char* storage = static_cast<char*>(malloc(32));
  // A container of 8 used bytes in 32 allocated ones, as std::vector marks it.
  __sanitizer_annotate_contiguous_container(storage, storage + 32, storage + 32, storage + 8);
  sink = storage[big_index];
}

__attribute__((noinline)) void use_after_poison() {
  char* pool = static_cast<char*>(malloc(64));
  ASAN_POISON_MEMORY_REGION(pool + 32, 32);
  pool[40] = 1;
}

__attribute__((noinline)) void calloc_overflow() {
  volatile size_t count = size_t(1) << 62;
  sink = calloc(count, 16) != nullptr;
}

__attribute__((noinline)) void allocation_size_too_big() {
  volatile size_t size = size_t(1) << 50;
  sink = malloc(size) != nullptr;
}

__attribute__((noinline)) void out_of_memory() {
  // Below the allocator's 1 TiB maximum, above what mmap will commit.
  volatile size_t size = size_t(1020) << 30;
  sink = malloc(size) != nullptr;
}

__attribute__((noinline)) void negative_size_param() {
  char* p = static_cast<char*>(malloc(16));
  volatile ssize_t size = -1;
  memset(p, 0, size);
}

__attribute__((noinline)) void memcpy_param_overlap() {
  char buffer[32] = "overlapping source and dest";
  volatile size_t size = 10;
  memcpy(buffer + 2, buffer, size);
  sink = buffer[0];
}

__attribute__((noinline)) void bad_malloc_usable_size() {
  char local[8];
  sink = static_cast<int>(malloc_usable_size(local));
}

__attribute__((noinline)) void segv(uintptr_t address, bool write) {
  volatile int* p = reinterpret_cast<volatile int*>(address);
  if (write) {
    *p = 1;
  } else {
    sink = *p;
  }
}

__attribute__((noinline)) void call_null() {
  void (*volatile function)() = nullptr;
  function();
}

__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[8192];  // few frames to the guard page, so a short report
  frame[depth % 64] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];
}

__attribute__((noinline)) void fpe() {
  volatile int zero = 0;
  sink = 10 / zero;
}

__attribute__((noinline)) void leak() {
  void* volatile p = malloc(7);
  p = nullptr;
  (void)p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string mode = argv[1];
  // Some output of the program's own around the report.
  printf("asan_bugs: running %s\n", mode.c_str());
  fflush(stdout);
  fprintf(stderr, "asan_bugs: about to run %s\n", mode.c_str());
  if (mode == "heap-buffer-overflow-read") heap_read();
  else if (mode == "heap-buffer-overflow-write") heap_write();
  else if (mode == "heap-buffer-overflow-memcpy") heap_memcpy();
  else if (mode == "stack-buffer-overflow-read") stack_read();
  else if (mode == "stack-buffer-overflow-write") stack_write();
  else if (mode == "stack-buffer-underflow") stack_underflow();
  else if (mode == "dynamic-stack-buffer-overflow") dynamic_stack(argc + 3);
  else if (mode == "global-buffer-overflow-read") global_read();
  else if (mode == "global-buffer-overflow-write") global_write();
  else if (mode == "heap-use-after-free-read") use_after_free_read();
  else if (mode == "heap-use-after-free-write") use_after_free_write();
  else if (mode == "double-free") double_free();
  else if (mode == "bad-free") bad_free();
  else if (mode == "alloc-dealloc-mismatch") alloc_dealloc_mismatch();
  else if (mode == "new-delete-type-mismatch") new_delete_type_mismatch();
  else if (mode == "stack-use-after-return") use_after_return();
  else if (mode == "stack-use-after-scope") use_after_scope();
  else if (mode == "container-overflow") container_overflow();
  else if (mode == "use-after-poison") use_after_poison();
  else if (mode == "calloc-overflow") calloc_overflow();
  else if (mode == "allocation-size-too-big") allocation_size_too_big();
  else if (mode == "out-of-memory") out_of_memory();
  else if (mode == "negative-size-param") negative_size_param();
  else if (mode == "memcpy-param-overlap") memcpy_param_overlap();
  else if (mode == "bad-malloc_usable_size") bad_malloc_usable_size();
  else if (mode == "segv-read-null") segv(0x10, false);
  else if (mode == "segv-write-null") segv(0x8, true);
  else if (mode == "segv-read") segv(0x12345678, false);
  else if (mode == "segv-write") segv(0x12345678, true);
  else if (mode == "segv-wild") segv(0x4141414141414141, true);
  else if (mode == "segv-pc") call_null();
  else if (mode == "stack-overflow") sink = recurse(0);
  else if (mode == "fpe") fpe();
  else if (mode == "ill") __builtin_trap();
  else if (mode == "abrt") abort();
  else if (mode == "leak") leak();
  else return 2;
  printf("asan_bugs: %s done\n", mode.c_str());
  return 0;
}
