/*
 * blocktable.h: the memory blocks refhunt's allocator hook saw allocated
 * and not yet freed, each with the round that allocated it and its site.
 *
 * Safe to call from any thread (free-threaded builds allocate in many at
 * once); it allocates with libc, never through the hooked domains, so it
 * stays valid across Py_FinalizeEx.
 */
#ifndef REFHUNT_BLOCKTABLE_H
#define REFHUNT_BLOCKTABLE_H

#include <stdint.h>

/* What the table keeps of a block. */
struct block_info {
    uint32_t    round;      /* the round that allocated it (an object's:
                               that created it last) */
    uint32_t    site : 31;  /* its allocation site, 0: none */
    uint32_t    object : 1; /* from the object domain: a PyObject */
    uint32_t    size;       /* bytes asked for (at most UINT32_MAX) */
    uint32_t    type;       /* a live object's type number (the ref
                               tracer's, 3.13+), 0: no live object known */
};

/* Notes a new block; a block already noted (a pointer whose free the
 * hook never saw) is noted again, not twice. */
void        blocktable_add(uintptr_t, struct block_info);

/* Forgets a block; 1 and *info if it was noted, 0 (a block allocated
 * before the hook) if not. */
int         blocktable_remove(uintptr_t, struct block_info *);

/* 1 and *info if the block is noted, 0 if not. */
int         blocktable_get(uintptr_t, struct block_info *);

/* How many blocks are noted. */
int64_t     blocktable_live(void);

/* A live object was made in the noted block p: its type number (not 0),
 * round, and site (0: the block's stays); 0 if p is not noted. */
int         blocktable_mark(uintptr_t, uint32_t, uint32_t, uint32_t);

/* The object in block p is gone (the block may stay, in a free list). */
void        blocktable_unmark(uintptr_t);

/* How many noted blocks hold a live object (marked, not unmarked). */
int64_t     blocktable_objects(void);

/* Calls each(block, info, arg) for every noted block, shard by shard;
 * each must not allocate through the hooked domains, nor call the
 * table. */
void        blocktable_each(void (*)(uintptr_t, struct block_info, void *),
                void *);

#endif
