// MemorySanitizer findings, one per mode (argv[1]). Built by
// ../make-samples.sh with -fsanitize=memory (and once more with origin
// tracking); each mode's stderr is saved as ../msan-<mode>.stderr.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;

__attribute__((noinline)) static int check_value(const int* values, int i) {
  if (values[i] > 10) return 1;  // values[i] was never written
  return 0;
}

__attribute__((noinline)) static void branch_on_uninitialized(void) {
  int* values = malloc(8 * sizeof(int));
  values[0] = 1;
  sink = check_value(values, 3);
  free(values);
}

__attribute__((noinline)) static void uninitialized_in_libc(void) {
  char* text = malloc(16);
  memcpy(text, "abc", 3);  // no terminator
  sink = (int)strlen(text);
  free(text);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  fprintf(stderr, "msan_uninit: about to run %s\n", argv[1]);
  if (strcmp(argv[1], "branch") == 0) branch_on_uninitialized();
  else if (strcmp(argv[1], "strlen") == 0) uninitialized_in_libc();
  else if (strcmp(argv[1], "segv") == 0) *(volatile int*)0x10 = 1;
  else return 2;
  return 0;
}
