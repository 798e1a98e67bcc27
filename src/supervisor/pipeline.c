/* pipeline.c: the last steps that every run shares. */
#include <errno.h>
#include <string.h>

#include "exit.h"
#include "output.h"
#include "pipeline.h"

FILE *
pipeline_text(const struct settings *st)
{
    return st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;
}

int
pipeline_write(const struct settings *st, FILE *text,
    const struct pipeline_files *files)
{
    int failed = 0, text_errno;

    failed |= st->json_path != NULL && files->json != NULL &&
        output_write("--json", st->json_path, files->json, files->arg) != 0;
    failed |= st->junit_path != NULL && files->junit != NULL &&
        output_write("--junit", st->junit_path, files->junit,
        files->arg) != 0;
    failed |= st->write_baseline_path != NULL && files->baseline != NULL &&
        output_write("--write-baseline", st->write_baseline_path,
        files->baseline, files->arg) != 0;
    text_errno = fflush(text) != 0 || ferror(text) ? errno : 0;
    if (text_errno != 0 && text_errno != EPIPE) {
        fprintf(stderr, "refhunt: cannot write the report to %s: %s\n",
            text == stderr ? "stderr" : "stdout", strerror(text_errno));
        failed = 1;
    }
    return failed;
}

enum status
pipeline_worst(struct hunt *const *hunts, int n, int *sig)
{
    enum status worst = STATUS_CLEAN;
    int i;

    *sig = 0;
    for (i = 0; i < n; i++) {
        worst = status_worst(worst, hunts[i]->status);
        if (hunts[i]->status == STATUS_INTERRUPTED) {
            *sig = hunts[i]->signal;
        }
    }
    return worst;
}

void
pipeline_summary(FILE *text, struct hunt *const *hunts, int n,
    double seconds, int jobs)
{
    int i, nclean = 0;

    for (i = 0; i < n; i++) {
        nclean += hunts[i]->status == STATUS_CLEAN;
    }
    fprintf(text, "refhunt: %d target%s: %d clean, %d not (%.1f s, -j %d)\n",
        n, n == 1 ? "" : "s", nclean, n - nclean, seconds, jobs);
}

int
pipeline_exit(int failed, int n, enum status worst, int sig)
{
    if (failed) {
        return EXIT_USAGE;
    }
    return n > 0 ? status_exit(worst, sig) : EXIT_CLEAN;
}
