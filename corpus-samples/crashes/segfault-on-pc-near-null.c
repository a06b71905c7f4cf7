/* SegFaultOnPcNearNull: a plugin's entry point is computed as the plugin's
 * base address plus an offset, but the plugin was never loaded (base NULL).
 * The call jumps to 0x10 and the instruction fetch faults there. */
#include <stdint.h>
#include <stdio.h>

typedef int (*entry_point)(const char *arg);

struct plugin {
    const char *name;
    unsigned char *base;       /* NULL: the load failed silently */
    uintptr_t entry_offset;
};

static int start_plugin(const struct plugin *p, const char *arg)
{
    entry_point entry = (entry_point)(p->base + p->entry_offset);
    printf("starting %s\n", p->name);
    fflush(stdout);
    return entry(arg); // CRASH-LINE
}

int main(int argc, char **argv)
{
    struct plugin codec = { "codec", NULL, 0x10 };
    return start_plugin(&codec, argc > 1 ? argv[1] : "default");
}
