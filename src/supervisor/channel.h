/*
 * channel.h: the worker's record stream, read in pieces and applied to
 * its hunt.
 *
 * The stream must follow the protocol (record.h): "hello" first and once,
 * rounds in order, counters for the round under way, "end" only after the
 * last round, nothing after it. Anything else means that something other
 * than the worker wrote to the channel: the hunt's message says so and
 * the rest of the stream is ignored.
 */
#ifndef REFHUNT_CHANNEL_H
#define REFHUNT_CHANNEL_H

#include <stddef.h>

#include "hunt.h"

/* Bytes that grow as they are read. */
struct buffer {
    char   *data;       /* NUL-terminated */
    size_t  len;
    size_t  cap;
};

void    buffer_add(struct buffer *, const char *, size_t);

struct channel {
    struct hunt    *h;
    struct hunt    *cur;            /* where rounds go: h, or --per-test's
                                       test under way */
    struct buffer   partial;        /* a record line not ended yet */
    int             hello;          /* "hello" seen */
    int             has_fail;       /* a "fail" record seen */
    int             corrupted;      /* h->message says how */
    unsigned        starts;         /* hello and round starts: the
                                       supervisor's per-round clock */
    int             last_round;     /* of the last phase record */
    enum phase      last_phase;
};

void    channel_init(struct channel *, struct hunt *);
void    channel_feed(struct channel *, const char *, size_t);
void    channel_free(struct channel *);

#endif
