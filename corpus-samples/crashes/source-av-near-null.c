/* SourceAvNearNull: reading the flags of a configuration that failed to
 * load: `mov eax, [rax]` with rax = 0. */
#include <stdio.h>
#include <stdlib.h>

struct config {
    unsigned flags;
    const char *path;
};

static struct config *load_config(const char *path)
{
    if (getenv("CONFIG_DIR") == NULL && path[0] != '/')
        return NULL; /* relative path without a base directory */
    static struct config c;
    c.path = path;
    return &c;
}

static unsigned config_flags(const struct config *c)
{
    return c->flags; // CRASH-LINE
}

int main(int argc, char **argv)
{
    struct config *c = load_config(argc > 1 ? argv[1] : "app.conf");
    printf("flags: %u\n", config_flags(c));
    return 0;
}
