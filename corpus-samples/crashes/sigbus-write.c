/* SIGBUS on a write: a journal file is mapped shared, then truncated to
 * zero (as another process rotating the log would).  The next append
 * stores into a page that no longer has file backing: SIGBUS BUS_ADRERR
 * on the store `mov [rdx+rax], cl`. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define JOURNAL_SIZE 4096

struct journal {
    char *map;
    size_t pos;
};

static void journal_append(struct journal *j, char c)
{
    j->map[j->pos] = c; // CRASH-LINE
    j->pos++;
}

int main(void)
{
    int fd = open("journal.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, JOURNAL_SIZE) != 0) {
        perror("journal.dat");
        return 1;
    }
    char *map = mmap(NULL, JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    struct journal j = { map, 0 };
    journal_append(&j, 'a');
    if (ftruncate(fd, 0) != 0) { /* the log was rotated under us */
        perror("ftruncate");
        return 1;
    }
    unlink("journal.dat");
    journal_append(&j, 'b');
    puts("appended");
    return 0;
}
