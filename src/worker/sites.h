/*
 * sites.h: where the blocks were allocated (--trace-blocks), in every
 * mode: the allocator hook names each block's site, the report groups the
 * blocks the tracked rounds left alive by site.
 */
#ifndef REFHUNT_SITES_H
#define REFHUNT_SITES_H

#include <stdint.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Before the first interpreter: record sites from now on, with up to
 * py_frames Python frames each. */
void        sites_start(int);
int         sites_tracing(void);

/* In the allocator hook: the current site's number, 0 for none. */
uint32_t    sites_capture(void);

/* In the reference tracer (3.13+): the number of a type (named by its
 * tp_name, which is copied), and that a type object is destroyed (its
 * address may name another type next). */
uint32_t    sites_type(const void *, const char *);
void        sites_forget_type(const void *);

/* In a live interpreter: where the standard library is (its frames are
 * summed up). */
void        sites_note_stdlib(void);

/* In every new interpreter: note, for the blocks allocated meanwhile,
 * which extension module is being initialized (its .so and init function
 * name the site when no C frame of its own does). */
void        sites_watch_extensions(void);

/* After a round's counters (the last warm-up's, then every tracked
 * round's): the live blocks of each site. */
void        sites_snapshot(int);

/* Drops the snapshots taken (--per-test: a test's runs start again). */
void        sites_forget_snapshots(void);

/*
 * The top sites whose live blocks grew in every tracked round, each the
 * target's (CPython's own residue is left out): send(round, count, size,
 * text, arg) for every tracked round, count and size what it grew by;
 * text is the site's frames, innermost first, one a line. After each,
 * 3.13+: send_type(round, count, type, arg) for the live objects of each
 * type that the site's blocks hold, made in that round, the most first.
 */
void        sites_report(int,
                void (*)(int, int64_t, int64_t, const char *, void *),
                void (*)(int, int64_t, const char *, void *), void *);

#endif
