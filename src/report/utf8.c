/* utf8.c: text made valid UTF-8 for reports that must be. */
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

/* Bytes that are not UTF-8 (a path, a target's output) become U+FFFD, so
 * that JSON and XML stay valid. */
char *
utf8_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out, *o;
    int n, i;

    if (s == NULL) {
        return NULL;
    }
    out = o = xmalloc(strlen(s) * 3 + 1);
    while (*p != '\0') {
        n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 :
            (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 4 :
            0;
        for (i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                n = 0;
                break;
            }
        }
        /* no overlong forms, no surrogates, nothing past U+10FFFF: a
         * strict decoder (Python's) rejects them */
        if ((n == 3 && ((*p == 0xe0 && p[1] < 0xa0) ||
            (*p == 0xed && p[1] >= 0xa0))) ||
            (n == 4 && ((*p == 0xf0 && p[1] < 0x90) ||
            (*p == 0xf4 && p[1] >= 0x90)))) {
            n = 0;
        }
        if (n == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
            continue;
        }
        memcpy(o, p, (size_t)n);
        o += n;
        p += n;
    }
    *o = '\0';
    return out;
}
