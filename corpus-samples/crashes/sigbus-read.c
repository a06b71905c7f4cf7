/* SIGBUS on a read: an index file is mapped shared, then truncated to zero
 * behind the reader's back.  Reading an entry loads from a page that no
 * longer has file backing: SIGBUS BUS_ADRERR on the load `mov eax, [rax]`. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define INDEX_SIZE 4096

static unsigned index_entry(const unsigned *index, size_t i)
{
    return index[i]; // CRASH-LINE
}

int main(void)
{
    int fd = open("index.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, INDEX_SIZE) != 0) {
        perror("index.dat");
        return 1;
    }
    const unsigned *index = mmap(NULL, INDEX_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    if (index == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (ftruncate(fd, 0) != 0) { /* a compaction truncated the index */
        perror("ftruncate");
        return 1;
    }
    unlink("index.dat");
    printf("entry 3: %u\n", index_entry(index, 3));
    return 0;
}
