/* CallAvTainted: a plugin record pointer is wild (canonical, unmapped).  The
 * faulting instruction (-O2) is the load of p->init, `mov rax, [rdi+8]`;
 * its destination register is tested and then used as the target of
 * `call rax` a few instructions later. */
#include <stdint.h>
#include <stdio.h>

struct plugin {
    const char *name;
    int (*init)(int version);
};

/* A registry entry read from a corrupted cache. */
static struct plugin *volatile registry_entry = (struct plugin *)0x414141414000ULL;

__attribute__((noipa)) static int load_plugin(struct plugin *p, int version)
{
    int (*init)(int) = p->init; // CRASH-LINE
    if (init == NULL)
        return -1;
    return init(version) + 1;
}

int main(void)
{
    int rc = load_plugin(registry_entry, 3);
    printf("plugin: %d\n", rc);
    return 0;
}
