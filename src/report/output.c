/* output.c: report files, written in full or removed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "xmalloc.h"

int
output_open(struct output_file *o, const char *option, const char *path,
    char **cause)
{
    o->option = option;
    o->path = path;
    o->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (o->f == NULL) {
        *cause = xasprintf("%s %s: %s", option, path, strerror(errno));
        return -1;
    }
    return 0;
}

int
output_commit(struct output_file *o, char **cause)
{
    int failed = fflush(o->f) != 0 || ferror(o->f), saved = errno;
    struct stat sb;

    if (o->f != stdout && fclose(o->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        *cause = xasprintf("%s %s: %s", o->option, o->path,
            strerror(saved));
        if (o->f != stdout && stat(o->path, &sb) == 0 &&
            S_ISREG(sb.st_mode)) {
            unlink(o->path);
        }
    }
    o->f = NULL;
    return failed ? -1 : 0;
}

int
output_write(const char *option, const char *path,
    void (*write)(FILE *, const void *), const void *arg)
{
    struct output_file o;
    char *cause = NULL;

    if (output_open(&o, option, path, &cause) == 0) {
        write(o.f, arg);
        if (output_commit(&o, &cause) == 0) {
            return 0;
        }
    }
    fprintf(stderr, "refhunt: %s\n", cause);
    free(cause);
    return -1;
}
