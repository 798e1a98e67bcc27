/* utf8.c: text made safe for reports: valid UTF-8 for those that must
 * be, one line for a name in the text. */
#include <stdio.h>
#include <stdlib.h>
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

char *
text_word(const char *w)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
    const unsigned char *p;
    char *out, *o;
    int control = 0;

    if (*w != '\0' && strspn(w, safe) == strlen(w)) {
        return xstrdup(w);
    }
    for (p = (const unsigned char *)w; *p != '\0'; p++) {
        control |= *p < 0x20 || *p == 0x7f;
    }
    o = out = xmalloc(strlen(w) * 4 + 4);
    *o++ = control ? '$' : '\'';
    if (control) {
        *o++ = '\'';
    }
    for (p = (const unsigned char *)w; *p != '\0'; p++) {
        if (!control && *p == '\'') {
            o += sprintf(o, "'\\''");
        } else if (control && (*p == '\'' || *p == '\\')) {
            o += sprintf(o, "\\%c", *p);
        } else if (control && *p == '\n') {
            o += sprintf(o, "\\n");
        } else if (control && (*p < 0x20 || *p == 0x7f)) {
            o += sprintf(o, "\\x%02x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}


void
text_put_name(const char *name, FILE *f)
{
    const unsigned char *p;
    char *word;

    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            word = text_word(name);
            fputs(word, f);
            free(word);
            return;
        }
    }
    fputs(name, f);
}
