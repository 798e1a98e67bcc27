/* junit.c: the JUnit XML report, one <testcase> a target. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"
#include "report.h"
#include "utf8.h"
#include "xmalloc.h"

/* Text as XML character data or attribute: escaped, control bytes (which
 * XML 1.0 cannot hold) replaced. */
static void
xml_text(FILE *f, const char *s)
{
    char *clean = utf8_clean(s != NULL ? s : "");
    const unsigned char *p;

    for (p = (const unsigned char *)clean; *p != '\0'; p++) {
        switch (*p) {
        case '&':  fputs("&amp;", f); break;
        case '<':  fputs("&lt;", f); break;
        case '>':  fputs("&gt;", f); break;
        case '"':  fputs("&quot;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default:
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
        }
    }
    free(clean);
}

static void
junit_case(FILE *f, const struct result *h)
{
    char *lines = NULL, *summary, *last;
    size_t len = 0;
    FILE *mem;
    int m;

    fprintf(f, "  <testcase classname=\"refhunt.%s\" name=\"",
        mode_name(h->settings->mode));
    xml_text(f, h->name);
    fprintf(f, "\" time=\"%.3f\"", h->seconds);
    if (h->status == STATUS_CLEAN && h->outcome != NULL &&
        strcmp(h->outcome, "skipped") == 0) {
        /* --per-test: a skipped test */
        fputs(">\n    <skipped message=\"", f);
        xml_text(f, h->message);
        fputs("\"/>\n  </testcase>\n", f);
        return;
    }
    if (h->status == STATUS_CLEAN) {
        fputs("/>\n", f);
        return;
    }
    /* The failure's body: the leak lines, or the message. */
    mem = open_memstream(&lines, &len);
    for (m = 0; mem != NULL && m < METRIC_COUNT; m++) {
        if (h->leaked[m]) {
            report_leak_line(h, m, mem);
        }
    }
    if (mem != NULL) {
        fclose(mem);
    }
    last = report_last_line(h->message);
    summary = h->status == STATUS_LEAK ? xstrdup("leak") :
        xasprintf("%s: %s", status_name(h->status),
        h->reason != NULL ? h->reason : last);
    free(last);
    fprintf(f, ">\n    <failure type=\"%s\" message=\"", status_name(h->status));
    xml_text(f, summary);
    fputs("\">", f);
    xml_text(f, lines);
    if (h->status != STATUS_LEAK) {
        xml_text(f, h->message);
    }
    fputs("</failure>\n  </testcase>\n", f);
    free(summary);
    free(lines);
}

void
junit_write(FILE *f, const struct result *results, int n, double seconds)
{
    int i, failures = 0;

    for (i = 0; i < n; i++) {
        failures += results[i].status != STATUS_CLEAN;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites tests=\"%d\" failures=\"%d\">\n"
        "<testsuite name=\"refhunt\" tests=\"%d\" failures=\"%d\" "
        "errors=\"0\" time=\"%.3f\">\n", n, failures, n, failures,
        seconds);
    for (i = 0; i < n; i++) {
        junit_case(f, &results[i]);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
}
