/* measure.h: what a round measures, and the phases a round goes through:
 * the words the worker and the supervisor share. */
#ifndef REFHUNT_MEASURE_H
#define REFHUNT_MEASURE_H

#include <stdint.h>

/* The phases of a round, in order; a record names the one that starts. */
enum phase {
    PHASE_NONE,
    PHASE_INIT,
    PHASE_RUN,
    PHASE_COLLECT,
    PHASE_FINALIZE,
    PHASE_MEASURE,
};

enum metric {
    METRIC_REFS,
    METRIC_BLOCKS,
    METRIC_FDS,
    METRIC_OBJECTS,     /* live objects, release builds of 3.13+ */
    METRIC_COUNT,
};

/* A counter the interpreter cannot give (refs on a release build). */
#define COUNTER_NONE INT64_MIN

const char     *phase_name(enum phase);
const char     *metric_key(enum metric);       /* "refs" */
const char     *metric_noun(enum metric);      /* "references" */

#endif
