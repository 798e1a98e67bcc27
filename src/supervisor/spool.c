/* spool.c: the targets' output kept for later, in a temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "xmalloc.h"

struct spool {
    FILE   *f;          /* unlinked: gone when refhunt is */
    off_t   end;
};

struct spool *
spool_open(char **cause)
{
    struct spool *s;
    FILE *f = tmpfile();

    if (f == NULL) {
        *cause = xasprintf("cannot keep the targets' output for -v: a "
            "temporary file: %s", strerror(errno));
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->f = f;
    return s;
}

void
spool_close(struct spool *s)
{
    if (s != NULL) {
        fclose(s->f);
        free(s);
    }
}

void
spool_add(struct spool *s, struct spooled *st, const char *data, size_t n)
{
    struct spool_piece *last = st->n > 0 ? &st->piece[st->n - 1] : NULL;
    ssize_t w;

    while (n > 0) {
        w = pwrite(fileno(s->f), data, n, s->end);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        if (last != NULL && last->at + (off_t)last->len == s->end) {
            last->len += (size_t)w;     /* no other hunt wrote between */
        } else {
            st->piece = xreallocarray(st->piece, (size_t)st->n + 1,
                sizeof *st->piece);
            last = &st->piece[st->n++];
            *last = (struct spool_piece){ s->end, (size_t)w };
        }
        s->end += w;
        data += w;
        n -= (size_t)w;
    }
}

void
spool_copy(struct spool *s, struct spooled *st, FILE *f)
{
    char buf[65536];
    size_t left, want;
    off_t at;
    ssize_t r;
    int i;

    for (i = 0; i < st->n; i++) {
        at = st->piece[i].at;
        for (left = st->piece[i].len; left > 0; left -= (size_t)r,
            at += r) {
            want = left < sizeof buf ? left : sizeof buf;
            r = pread(fileno(s->f), buf, want, at);
            if (r < 0 && errno == EINTR) {
                r = 0;
                continue;
            }
            if (r <= 0) {
                break;
            }
            fwrite(buf, 1, (size_t)r, f);
        }
        /* printed: the disk space goes back (where the file system can) */
        fallocate(fileno(s->f), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            st->piece[i].at, (off_t)st->piece[i].len);
    }
    spooled_free(st);
}

void
spooled_free(struct spooled *st)
{
    free(st->piece);
    st->piece = NULL;
    st->n = 0;
}
