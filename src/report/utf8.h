/* utf8.h: text made valid UTF-8 for reports that must be (JSON, XML). */
#ifndef REFHUNT_UTF8_H
#define REFHUNT_UTF8_H

/* A copy in which bytes that are not UTF-8 (a path, a target's output)
 * are U+FFFD; NULL for NULL. */
char   *utf8_clean(const char *);

#endif
