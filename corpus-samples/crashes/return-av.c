/* ReturnAv: a packet parser copies a caller-given number of 64-bit words into
 * a two-word local header.  The copy runs over the saved frame pointer and
 * the return address with 0x4141414141414141.  That value is not canonical,
 * so the `ret` itself raises #GP: SIGSEGV with si_code SI_KERNEL, pc at ret.
 * Built with -fno-stack-protector. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static void copy_words(uint64_t *dst, const uint64_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static uint64_t parse_header(const uint64_t *packet, size_t nwords)
{
    uint64_t header[2];
    copy_words(header, packet, nwords); /* nwords is never checked against 2 */
    printf("packet kind %llx\n", (unsigned long long)header[0]);
    fflush(stdout);
    return header[1];
} // CRASH-LINE

int main(void)
{
    /* A hostile packet: four words where the header has room for two. */
    static const uint64_t packet[4] = {
        0x4141414141414141ULL, 0x4141414141414141ULL,
        0x4141414141414141ULL, 0x4141414141414141ULL,
    };
    uint64_t v = parse_header(packet, 4);
    printf("%llx\n", (unsigned long long)v);
    return 0;
}
