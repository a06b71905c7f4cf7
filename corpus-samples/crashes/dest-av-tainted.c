/* DestAvTainted: a session table entry pointer is wild (canonical,
 * unmapped).  The faulting instruction (-O2) is the load of the session's
 * buffer pointer, `mov rax, [rdi+8]`; its destination register is tested
 * and then is the address of the store `mov [rax+8], esi` that follows. */
#include <stdint.h>
#include <stdio.h>

struct buffer {
    long used;
    int last_value;
};

struct session {
    int id;
    struct buffer *buf;
};

__attribute__((noipa)) static void session_record(struct session *s, int value)
{
    struct buffer *b = s->buf; // CRASH-LINE
    if (b == NULL)
        return;
    b->last_value = value;
}

/* The session pointer came from an index that was never validated. */
static struct session *volatile sessions[1] = { (struct session *)0x414141414000ULL };

int main(void)
{
    session_record(sessions[0], 42);
    puts("recorded");
    return 0;
}
