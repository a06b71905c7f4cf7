/* SourceAvNearNull, RV32: crashes/source-av-near-null.c without libc (rt.h).
 * Reading the flags of a configuration that failed to load: `lw` through a
 * NULL struct pointer. */
#include "rt.h"

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
    unsigned flags = config_flags(c);
    put_str(1, "flags: ");
    put_uint(1, flags);
    put_str(1, "\n");
    return 0;
}
