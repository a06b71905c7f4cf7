/* DestAvNearNull: the statistics record of a connection is looked up, the
 * lookup fails and returns NULL, and the caller stores into the record's
 * second field: a store to address 8 (`mov [rax+4], ...` on i386: 4). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct stats {
    long packets;
    long bytes;
};

struct conn {
    const char *peer;
    struct stats *stats;
};

static struct conn table[] = {
    { "10.0.0.1", NULL },
    { "10.0.0.2", NULL },
};

static struct stats *find_stats(const char *peer)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].peer, peer) == 0)
            return table[i].stats; /* never allocated */
    return NULL;
}

static void account(const char *peer, long len)
{
    struct stats *s = find_stats(peer);
    s->bytes = len; // CRASH-LINE
}

int main(int argc, char **argv)
{
    account(argc > 1 ? argv[1] : "10.0.0.2", 1500);
    puts("accounted");
    return 0;
}
