/* tscene: reads a "tiny scene" file, the sample fuzz target of the corpus.
 *
 * Usage: target [FILE]
 *   Reads the scene from FILE, or from stdin when FILE is "-" or missing.
 *
 * File format (all integers little-endian):
 *   magic   "TSC1"
 *   chunks  { u8 type; u16 length; u8 payload[length]; } ...
 *
 * Chunk types:
 *   'T' title      text, copied into the scene's 24-byte title buffer
 *   'L' log        text, appended to the scene's log
 *   'U' user data  up to 64 bytes kept with the scene
 *   'E' event      u8 event id: calls the scene's handler for that event
 *   'G' group      a bracket expression such as "[a[b c]d]"
 *   'D' depth      u16 depth: builds a chain of that many nodes and walks it
 *   'R' grid       u16 cells, u16 columns: lays cells out in rows
 *   'P' palette    u8 count, then count 3-byte colours
 *   'M' material   u8 palette index
 *   'S' sprite     u8 layer, u8 frames, u8 anchor (0: none, else the 1-based
 *                  number of an earlier sprite), i8 x
 *   'X' text       u8 font, then the text
 *   'B' button     u16 x, u16 y, u8 font, then the label
 *   'H' hint       u8 delay, u8 font, then the text
 *   'W' wait       u8 frames: waits until the renderer has drawn them
 *
 * The parser has deliberate bugs, each reachable from the input bytes:
 *   1. 'M' before any 'P' reads through the NULL palette pointer.
 *   2. 'T' copies the whole payload into the 24-byte title: a longer title
 *      overwrites the heap chunk after it, the log, whose write cursor then
 *      points wherever the input says; the next 'L' writes through it.
 *   3. 'E' does not check the event id against the 4 handlers: ids 4..11
 *      take the handler address from the user data bytes ('U').
 *   4. 'G' recurses on every '[' with no depth limit, 4 KiB of scratch per
 *      level: a few thousand '[' overflow the stack.
 *   5. 'D' walks a chain of the given depth recursively and reads the value
 *      of the node after the last one, which is NULL.
 *   6. 'R' divides by the column count, which may be 0.
 *   7. 'P' with more than 16 colours fails an internal check and aborts.
 *   Bugs 8, 9 and 10 are three bugs of one function, add_sprite ('S'),
 *   each on its own line and each reachable alone:
 *   8. 'S' divides the frame time by the frame count, which may be 0.
 *   9. 'S' stores the sprite into its layer, but only layers 0 and 1 exist:
 *      layers 2 and 3 are NULL.
 *   10. 'S' reads the anchor sprite's position, but the anchor number is not
 *      checked against the sprites made so far: a later one is NULL.
 *   11. One bug, three callers: text_width reads the font's metrics, but
 *      only font 0 exists, fonts 1..3 are NULL. draw_text ('X'),
 *      draw_button ('B') and draw_hint ('H') call it.
 *   12. 'W' with a frame count above 0 waits forever, as nothing draws
 *      frames: a hang, for timeout tests.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define MAX_INPUT (1 << 20)
#define TITLE_SIZE 24
#define MAX_COLORS 16
#define N_HANDLERS 4
#define N_LAYERS 4
#define MAX_SPRITES 8
#define SPRITE_TICKS 240
#define N_FONTS 4
#define BUTTON_PADDING 6

struct log {
    char *cursor;
    char *end;
    char text[64];
};

struct palette {
    unsigned count;
    unsigned char rgb[MAX_COLORS][3];
};

struct sprite {
    int x;
    unsigned ticks_per_frame;
};

struct layer {
    struct sprite *slots[MAX_SPRITES];
};

struct font {
    unsigned height;
    unsigned advance;
};

static const struct font builtin_font = { 12, 7 };

struct scene;
typedef int (*event_handler)(struct scene *s);

struct scene {
    char *title;               /* TITLE_SIZE bytes on the heap */
    struct log *log;           /* allocated right after the title */
    struct palette *palette;   /* NULL until a 'P' chunk */
    event_handler handlers[N_HANDLERS];
    unsigned char user[64];    /* right after handlers[] */
    unsigned events;
    long checksum;
    struct layer *layers[N_LAYERS];      /* only layers 0 and 1 exist */
    struct sprite *sprites[MAX_SPRITES]; /* the first n_sprites are set */
    unsigned n_sprites;
    const struct font *fonts[N_FONTS];   /* only font 0 exists */
    volatile unsigned frames_drawn;      /* nothing draws: stays 0 */
};

struct node {
    int value;
    struct node *next;
};

static unsigned char input[MAX_INPUT];

static unsigned get_u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* Event handlers. */
static int on_load(struct scene *s) { s->events++; return 0; }
static int on_draw(struct scene *s) { s->events += 2; return 0; }
static int on_resize(struct scene *s) { s->events += 3; return 0; }
static int on_close(struct scene *s) { s->events += 4; return 1; }

static struct scene *scene_new(void)
{
    struct scene *s = calloc(1, sizeof *s);
    s->title = malloc(TITLE_SIZE);
    s->log = malloc(sizeof *s->log);
    s->log->cursor = s->log->text;
    s->log->end = s->log->text + sizeof s->log->text;
    s->handlers[0] = on_load;
    s->handlers[1] = on_draw;
    s->handlers[2] = on_resize;
    s->handlers[3] = on_close;
    s->layers[0] = calloc(1, sizeof *s->layers[0]);
    s->layers[1] = calloc(1, sizeof *s->layers[1]);
    s->fonts[0] = &builtin_font;
    strcpy(s->title, "untitled");
    return s;
}

static void scene_free(struct scene *s)
{
    for (unsigned i = 0; i < s->n_sprites; i++)
        free(s->sprites[i]);
    for (unsigned i = 0; i < N_LAYERS; i++)
        free(s->layers[i]);
    free(s->palette);
    free(s->log);
    free(s->title);
    free(s);
}

/* Bug 2: no check of len against TITLE_SIZE. */
static void set_title(struct scene *s, const unsigned char *p, unsigned len)
{
    memcpy(s->title, p, len);
    if (len < TITLE_SIZE)
        s->title[len] = '\0';
    else
        s->title[TITLE_SIZE - 1] = '\0';
}

static void log_append(struct log *log, const unsigned char *p, unsigned len)
{
    for (unsigned i = 0; i < len && log->cursor < log->end; i++)
        *log->cursor++ = (char)p[i];
}

/* Bug 3: id is not checked against N_HANDLERS. */
static int fire_event(struct scene *s, unsigned id)
{
    event_handler h = s->handlers[id];
    return h(s);
}

/* Bug 4: one level per '[', without a limit. */
static size_t parse_group(const unsigned char **pp, const unsigned char *end, long *sum)
{
    char scratch[4096];
    size_t n = 0, items = 0;
    while (*pp < end) {
        unsigned char c = *(*pp)++;
        if (c == '[') {
            items += parse_group(pp, end, sum);
        } else if (c == ']') {
            break;
        } else if (c == ' ') {
            if (n > 0)
                items++;
            n = 0;
        } else if (n < sizeof scratch) {
            scratch[n++] = (char)c;
            *sum += scratch[n - 1];
        }
    }
    if (n > 0)
        items++;
    *sum += scratch[0] * (long)items;
    return items;
}

/* Bug 5: the chain has depth nodes but the walk reads depth + 1. */
static long walk_chain(const struct node *n, unsigned remaining)
{
    if (remaining == 0)
        return n->value;
    return walk_chain(n->next, remaining - 1) + 1;
}

static long depth_chunk(unsigned depth)
{
    struct node *nodes = calloc(depth + 1, sizeof *nodes);
    for (unsigned i = 0; i < depth; i++) {
        nodes[i].value = (int)i;
        nodes[i].next = i + 1 < depth ? &nodes[i + 1] : NULL;
    }
    long v = walk_chain(nodes, depth);
    free(nodes);
    return v;
}

/* Bug 6: columns may be 0. */
static unsigned grid_rows(unsigned cells, unsigned columns)
{
    return (cells + columns - 1) / columns;
}

/* Bug 7: more than MAX_COLORS colours fails the check. */
static struct palette *read_palette(const unsigned char *p, unsigned len)
{
    if (len < 1)
        return NULL;
    unsigned count = p[0];
    CHECK(count <= MAX_COLORS);
    struct palette *pal = calloc(1, sizeof *pal);
    for (unsigned i = 0; i < count && 1 + 3 * i + 2 < len; i++)
        memcpy(pal->rgb[i], p + 1 + 3 * i, 3);
    pal->count = count;
    return pal;
}

/* Bug 1: s->palette may still be NULL. */
static unsigned material_color(const struct scene *s, unsigned index)
{
    const struct palette *pal = s->palette;
    unsigned i = index % MAX_COLORS;
    return (unsigned)pal->rgb[i][0] << 16 | (unsigned)pal->rgb[i][1] << 8 | pal->rgb[i][2];
}

/* Bugs 8, 9 and 10: three bugs in one function. */
static long add_sprite(struct scene *s, const unsigned char *p, unsigned len)
{
    if (len < 4 || s->n_sprites >= MAX_SPRITES)
        return 0;
    struct sprite *sp = calloc(1, sizeof *sp);
    sp->x = (signed char)p[3];
    sp->ticks_per_frame = SPRITE_TICKS / p[1];
    struct layer *layer = s->layers[p[0] % N_LAYERS];
    layer->slots[s->n_sprites] = sp;
    if (p[2] != 0) {
        const struct sprite *anchor = s->sprites[(p[2] - 1u) % MAX_SPRITES];
        sp->x += anchor->x;
    }
    s->sprites[s->n_sprites++] = sp;
    return sp->x + (long)sp->ticks_per_frame;
}

/* Bug 11: s->fonts[font] may be NULL. One bug, three callers. */
static __attribute__((noinline)) unsigned text_width(const struct scene *s, unsigned font,
                                                     unsigned chars)
{
    const struct font *f = s->fonts[font % N_FONTS];
    return f->advance * chars;
}

static __attribute__((noinline)) long draw_text(struct scene *s, const unsigned char *p,
                                                unsigned len)
{
    if (len < 1)
        return 0;
    unsigned width = text_width(s, p[0], len - 1);
    return (long)width + 1;
}

static __attribute__((noinline)) long draw_button(struct scene *s, const unsigned char *p,
                                                  unsigned len)
{
    if (len < 5)
        return 0;
    unsigned x = get_u16(p), y = get_u16(p + 2);
    unsigned width = text_width(s, p[4], len - 5) + 2 * BUTTON_PADDING;
    return (long)x * y + width;
}

static __attribute__((noinline)) long draw_hint(struct scene *s, const unsigned char *p,
                                                unsigned len)
{
    if (len < 2)
        return 0;
    unsigned delay = p[0];
    unsigned width = text_width(s, p[1], len - 2);
    return (long)delay * 1000 + width;
}

/* Bug 12: nothing ever draws a frame. */
static void wait_frames(const struct scene *s, unsigned frames)
{
    while (s->frames_drawn < frames)
        continue;
}

static int parse(struct scene *s, const unsigned char *data, size_t size)
{
    if (size < 4 || memcmp(data, "TSC1", 4) != 0)
        return -1;
    size_t off = 4;
    while (off + 3 <= size) {
        unsigned type = data[off];
        unsigned len = get_u16(data + off + 1);
        off += 3;
        if (len > size - off)
            return -1;
        const unsigned char *p = data + off;
        off += len;
        switch (type) {
        case 'T':
            set_title(s, p, len);
            break;
        case 'L':
            log_append(s->log, p, len);
            break;
        case 'U':
            memcpy(s->user, p, len < sizeof s->user ? len : sizeof s->user);
            break;
        case 'E':
            if (len >= 1)
                s->checksum += fire_event(s, p[0]);
            break;
        case 'G': {
            const unsigned char *q = p;
            s->checksum += (long)parse_group(&q, p + len, &s->checksum);
            break;
        }
        case 'D':
            if (len >= 2)
                s->checksum += depth_chunk(get_u16(p));
            break;
        case 'R':
            if (len >= 4)
                s->checksum += grid_rows(get_u16(p), get_u16(p + 2));
            break;
        case 'P':
            free(s->palette);
            s->palette = read_palette(p, len);
            break;
        case 'M':
            if (len >= 1)
                s->checksum += material_color(s, p[0]);
            break;
        case 'S':
            s->checksum += add_sprite(s, p, len);
            break;
        case 'X':
            s->checksum += draw_text(s, p, len);
            break;
        case 'B':
            s->checksum += draw_button(s, p, len);
            break;
        case 'H':
            s->checksum += draw_hint(s, p, len);
            break;
        case 'W':
            if (len >= 1)
                wait_frames(s, p[0]);
            break;
        default:
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [FILE]   (no FILE or -: read stdin)\n", argv[0]);
        return 2;
    }
    const char *name = argc == 2 ? argv[1] : "-";
    int from_stdin = strcmp(name, "-") == 0;
    int fd = from_stdin ? STDIN_FILENO : open(name, O_RDONLY);
    if (fd < 0) {
        perror(name);
        return 2;
    }
    size_t size = 0;
    ssize_t n;
    while (size < sizeof input && (n = read(fd, input + size, sizeof input - size)) > 0)
        size += (size_t)n;
    if (!from_stdin)
        close(fd);

    struct scene *s = scene_new();
    int rc = parse(s, input, size);
    printf("%s: %s, title '%s', %u events, checksum %ld\n", name,
           rc == 0 ? "ok" : "malformed", s->title, s->events, s->checksum);
    scene_free(s);
    return rc == 0 ? 0 : 1;
}
