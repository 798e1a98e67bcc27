/* utf8.h: text made safe for reports: valid UTF-8 for those that must be
 * (JSON, XML), one line for a name in the text. */
#ifndef REFHUNT_UTF8_H
#define REFHUNT_UTF8_H

#include <stdio.h>

/* A copy in which bytes that are not UTF-8 (a path, a target's output)
 * are U+FFFD; NULL for NULL. */
char   *utf8_clean(const char *);

/* A word as a shell reads it back: bare when that is safe, else in single
 * quotes, or in $'...' when it holds control characters (a name is one
 * line of a report or a baseline). Newly allocated. */
char   *text_word(const char *);

/* Prints a name as the text says it: as it is, or as text_word() quotes it
 * when it holds control characters (a test id with a newline), so that it
 * stays on its line; a target's name is quoted already. */
void    text_put_name(const char *, FILE *);

#endif
