/* result.c: the words of a result that every report uses. */
#include "result.h"
#include "rule.h"

/* How the worker's CPython was built, as reports name it. */
const char *
python_build(const struct python_info *py)
{
    if (py->free_threaded) {
        return py->debug ? "free-threaded debug build" :
            "free-threaded release build";
    }
    return py->debug ? "debug build" : "release build";
}

/* A site kept blocks in every tracked round, counted from the blocks the
 * round made under it: not corrected by the calibration, which subtracts
 * what an empty round keeps by itself. A block the interpreter keeps
 * every cycle anyway may be made under the target's line instead of in
 * its own start or end: 3.9.18 keeps 965 blocks a reinit cycle with
 * `pass` and with `import json` (tests/indep/reinit.c, no code of
 * refhunt's), one of the latter made under the import line. So where the
 * blocks are calibrated, the sites are reported only for a leak of
 * blocks (by the rule, whatever a baseline allows). */
int
result_sites_shown(const struct result *r)
{
    return !r->calibrated || r->calibration == NULL ||
        r->calibration[METRIC_BLOCKS] == COUNTER_NONE ||
        r->calibration[METRIC_BLOCKS] == 0 ||
        (r->ndeltas > 0 && r->deltas[METRIC_BLOCKS] != NULL &&
        verdict_leaks(METRIC_BLOCKS, r->deltas[METRIC_BLOCKS], r->ndeltas));
}
