/*
 * spool.h: the targets' output kept for later (--each -v prints each
 * target's output with its report, in the order given), in one unlinked
 * temporary file rather than in memory: a dozen chatty targets once held
 * 198 MB until refhunt exited.
 */
#ifndef REFHUNT_SPOOL_H
#define REFHUNT_SPOOL_H

#include <stdio.h>
#include <sys/types.h>

struct spool;

/* What one stream of one hunt put in the spool: its pieces, in order. */
struct spooled {
    struct spool_piece {
        off_t   at;
        size_t  len;
    }              *piece;
    int             n;
};

/* A new spool, or NULL with *cause. */
struct spool   *spool_open(char **);
void            spool_close(struct spool *);

/* Appends data to s's file and to what st holds. A write that fails
 * (a full disk) loses that output only. */
void            spool_add(struct spool *, struct spooled *, const char *,
                    size_t);

/* Copies what st holds to f, and forgets it. */
void            spool_copy(struct spool *, struct spooled *, FILE *);

void            spooled_free(struct spooled *);

#endif
