/* HeapError: an error path frees a request buffer and the common cleanup
 * frees it again.  glibc's tcache notices the double free, prints
 * "free(): double free detected in tcache 2" and aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct request {
    char *body;
    size_t len;
};

static int parse_request(struct request *r, const char *text)
{
    r->len = strlen(text);
    r->body = malloc(r->len + 1);
    memcpy(r->body, text, r->len + 1);
    if (strchr(r->body, ':') == NULL) {
        free(r->body); /* error path releases the body ... */
        return -1;     /* ... but leaves r->body dangling */
    }
    return 0;
}

static void release_request(struct request *r)
{
    free(r->body); // CRASH-LINE
    r->body = NULL;
}

int main(int argc, char **argv)
{
    struct request r;
    int rc = parse_request(&r, argc > 1 ? argv[1] : "no separator here");
    printf("parse: %d\n", rc);
    release_request(&r);
    return 0;
}
