/* measure.c: the names of the metrics and phases. */
#include "measure.h"

const char *
phase_name(enum phase p)
{
    static const char *const names[] = {
        "none", "init", "run", "collect", "finalize", "measure",
    };

    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

const char *
metric_key(enum metric m)
{
    static const char *const keys[] = { "refs", "blocks", "fds", "objects" };

    return keys[m];
}

const char *
metric_noun(enum metric m)
{
    static const char *const nouns[] = {
        "references", "memory blocks", "file descriptors", "objects",
    };

    return nouns[m];
}
