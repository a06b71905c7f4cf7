/* A crash inside an always_inline function at -O2, for inlined frames:
 * buffer_set_length() is inlined into parse_field(), which got a NULL
 * buffer from a lookup that failed.  The store `mov [rbx+8], rax`
 * (rbx = 0) belongs to the inlined body, so the innermost frame is the
 * inlined buffer_set_length with parse_field as its caller in the same
 * machine frame. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct buffer {
    char *data;
    size_t length;
};

#define BUFFER_MAX 4096

static inline __attribute__((always_inline)) void buffer_set_length(struct buffer *b, size_t n)
{
    size_t capped = n < BUFFER_MAX ? n : BUFFER_MAX;
    b->length = capped; // CRASH-LINE
}

struct field {
    const char *name;
    struct buffer *value;
};

static struct field fields[] = {
    { "host", NULL },
    { "port", NULL },
};

__attribute__((noipa)) static struct buffer *lookup(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return fields[i].value;
    return NULL;
}

__attribute__((noipa)) static size_t parse_field(const char *name, const char *text)
{
    struct buffer *b = lookup(name);
    size_t n = strlen(text);
    buffer_set_length(b, n);
    return n;
}

int main(int argc, char **argv)
{
    size_t n = parse_field(argc > 1 ? argv[1] : "port", "8080");
    printf("parsed %zu bytes\n", n);
    return 0;
}
