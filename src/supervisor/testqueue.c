/* testqueue.c: a suite's tests in units, handed out in batches. */
#include <stdlib.h>
#include <string.h>

#include "testqueue.h"
#include "xmalloc.h"

/* pytest: "path::Class::test[param]" is of "path::Class", "path::test" of
 * "path" (a module's functions share its module fixtures); unittest:
 * "pkg.mod.Class.test" is of "pkg.mod.Class". A parameter never counts. */
size_t
testqueue_unit(const char *id, int pytest)
{
    size_t len = strcspn(id, "["), i, cut = 0, first = 0;

    for (i = 0; i < len; i++) {
        if (pytest && id[i] == ':' && id[i + 1] == ':') {
            if (first == 0) {
                first = i;
            }
            cut = i;
            i++;
        } else if (!pytest && id[i] == '.') {
            cut = i;
        }
    }
    if (pytest && cut == first) {
        return first > 0 ? first : len;     /* a function of a module */
    }
    return cut > 0 ? cut : len;
}

static int
same_unit(const char *a, const char *b, int pytest)
{
    size_t n = testqueue_unit(a, pytest);

    return n == testqueue_unit(b, pytest) && strncmp(a, b, n) == 0;
}

void
testqueue_init(struct testqueue *q, const struct names *ids, int pytest,
    int jobs)
{
    int i;

    memset(q, 0, sizeof *q);
    q->ids = ids;
    q->jobs = jobs < 1 ? 1 : jobs;
    q->unit_end = xcalloc((size_t)ids->n + 1, sizeof *q->unit_end);
    for (i = 1; i <= ids->n; i++) {
        if (i == ids->n || !same_unit(ids->name[i - 1], ids->name[i],
            pytest)) {
            q->unit_end[q->nunits++] = i;
        }
    }
}

int
testqueue_take(struct testqueue *q, struct names *batch)
{
    int left = q->nunits - q->next, take, first, i;

    if (left <= 0) {
        return -1;
    }
    /* guided: a share of what is left, so the last batches are small */
    take = (left + 2 * q->jobs - 1) / (2 * q->jobs);
    first = q->next > 0 ? q->unit_end[q->next - 1] : 0;
    q->next += take;
    for (i = first; i < q->unit_end[q->next - 1]; i++) {
        names_add(batch, q->ids->name[i]);
    }
    return 0;
}

void
testqueue_free(struct testqueue *q)
{
    free(q->unit_end);
    q->unit_end = NULL;
}
