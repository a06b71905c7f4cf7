/* A crash in a worker thread: the main thread starts a worker and waits in
 * pthread_join; the worker stores into the result record of a job that was
 * queued without one (NULL), `mov [rax+8], edx`: SIGSEGV at address 8 in
 * the worker, so the report must name the worker as the crashing thread. */
#include <pthread.h>
#include <stdio.h>

struct result {
    long status;
    int items;
};

struct job {
    const char *name;
    int items;
    struct result *result; /* NULL: the submitter forgot to attach one */
};

static void finish_job(struct job *job, int processed)
{
    job->result->items = processed; // CRASH-LINE
}

static void *worker_main(void *arg)
{
    struct job *job = arg;
    int processed = 0;
    for (int i = 0; i < job->items; i++)
        processed++;
    finish_job(job, processed);
    return NULL;
}

int main(void)
{
    struct job job = { "resize-images", 12, NULL };
    pthread_t worker;
    if (pthread_create(&worker, NULL, worker_main, &job) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(worker, NULL);
    printf("job %s done\n", job.name);
    return 0;
}
