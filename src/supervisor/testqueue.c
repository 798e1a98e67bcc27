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
    q->pytest = pytest;
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
    int first = q->next > 0 ? q->unit_end[q->next - 1] : 0, want, i;

    if (q->next >= q->nunits) {
        return -1;
    }
    /* guided: an eighth of the tests left for each of the jobs, in whole
     * units, so the last batches are small. In tests, not units: NumPy's
     * units run from 1 test to over 1,000, and a quarter of its units,
     * the first batch of 2 jobs once, held one worker for over 2 hours
     * while the other ended. */
    want = (q->ids->n - first + 4 * q->jobs - 1) / (4 * q->jobs);
    do {
        q->next++;
    } while (q->next < q->nunits && q->unit_end[q->next - 1] - first < want);
    for (i = first; i < q->unit_end[q->next - 1]; i++) {
        names_add(batch, q->ids->name[i]);
    }
    return 0;
}

/* The file a pytest node id is of: the length of "path" in
 * "path::Class::test[param]". */
static size_t
file_part(const char *id)
{
    const char *sep = strstr(id, "::");

    return sep != NULL ? (size_t)(sep - id) : strlen(id);
}

/* Whether names holds the first len bytes of s, whole. */
static int
has_prefix(const struct names *names, const char *s, size_t len)
{
    int i;

    for (i = 0; i < names->n; i++) {
        if (strlen(names->name[i]) == len &&
            strncmp(names->name[i], s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Adds the distinct files of ids (in order) to *out, but for those in
 * *not (or NULL). */
static void
add_files(const struct names *ids, const struct names *not,
    struct names *out)
{
    size_t len, last = 0;
    char *file;
    int i;

    for (i = 0; i < ids->n; i++) {
        len = file_part(ids->name[i]);
        /* a file's tests are next to each other in collection order */
        if (i > 0 && len == last && strncmp(ids->name[i],
            ids->name[i - 1], len) == 0) {
            continue;
        }
        last = len;
        if (has_prefix(out, ids->name[i], len) ||
            (not != NULL && has_prefix(not, ids->name[i], len))) {
            continue;
        }
        file = xmalloc(len + 1);
        memcpy(file, ids->name[i], len);
        file[len] = '\0';
        names_add(out, file);
        free(file);
    }
}

void
testqueue_other_files(const struct testqueue *q, const struct names *batch,
    struct names *out)
{
    struct names mine = { NULL, 0 };

    if (!q->pytest) {
        return;
    }
    add_files(batch, NULL, &mine);
    add_files(q->ids, &mine, out);
    names_clear(&mine);
}

void
testqueue_free(struct testqueue *q)
{
    free(q->unit_end);
    q->unit_end = NULL;
}
