/*
 * blocktable.c: a hash table of live blocks, pointer -> round and site.
 *
 * Open addressing with linear probing and deletion by backward shift (no
 * tombstones), split into shards by the pointer's hash, each behind its
 * own spin lock: the hook runs on every allocation of the interpreter, so
 * an uncontended lock must cost no more than an atomic exchange, and the
 * threads of a free-threaded build rarely meet in one shard.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "blocktable.h"
#include "xmalloc.h"

#define SHARD_BITS      6
#define SHARDS          (1u << SHARD_BITS)
#define FIRST_CAPACITY  1024u       /* slots of a shard, a power of 2 */

struct shard {
    atomic_bool         lock;       /* a spin lock; static: false */
    uintptr_t          *key;        /* 0: an empty slot */
    struct block_info  *info;
    size_t              capacity;
    size_t              count;
};

static struct shard shards[SHARDS];
static atomic_llong live, objects;

/* A block whose info held a live object is forgotten or noted anew. */
static void
drop_object(const struct block_info *info)
{
    if (info->type != 0) {
        atomic_fetch_sub_explicit(&objects, 1, memory_order_relaxed);
    }
}

/* Fibonacci hashing: blocks are 16-byte aligned, the low bits say
 * nothing. */
static uint64_t
hash(uintptr_t p)
{
    return (uint64_t)(p >> 4) * UINT64_C(0x9E3779B97F4A7C15);
}

static struct shard *
shard_of(uint64_t h)
{
    return &shards[h >> (64 - SHARD_BITS)];
}

static void
shard_lock(struct shard *s)
{
    while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire)) {
        sched_yield();
    }
}

static void
shard_unlock(struct shard *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static size_t
slot_of(const struct shard *s, uint64_t h)
{
    return (size_t)h & (s->capacity - 1);
}

/* Puts a key known to be absent; the shard has room. */
static void
shard_put(struct shard *s, uintptr_t p, struct block_info info)
{
    size_t i = slot_of(s, hash(p));

    while (s->key[i] != 0) {
        i = (i + 1) & (s->capacity - 1);
    }
    s->key[i] = p;
    s->info[i] = info;
}

/* Doubles the shard (or makes its first slots), keeping every key. */
static void
shard_grow(struct shard *s)
{
    uintptr_t *old_key = s->key;
    struct block_info *old_info = s->info;
    size_t old_capacity = s->capacity, i;

    s->capacity = old_capacity == 0 ? FIRST_CAPACITY : 2 * old_capacity;
    s->key = xcalloc(s->capacity, sizeof *s->key);
    s->info = xcalloc(s->capacity, sizeof *s->info);
    for (i = 0; i < old_capacity; i++) {
        if (old_key[i] != 0) {
            shard_put(s, old_key[i], old_info[i]);
        }
    }
    free(old_key);
    free(old_info);
}

/* The slot of p, or the capacity if absent. */
static size_t
shard_find(const struct shard *s, uintptr_t p, uint64_t h)
{
    size_t i;

    if (s->capacity == 0) {
        return 0;
    }
    for (i = slot_of(s, h); s->key[i] != 0; i = (i + 1) & (s->capacity - 1)) {
        if (s->key[i] == p) {
            return i;
        }
    }
    return s->capacity;
}

void
blocktable_add(uintptr_t p, struct block_info info)
{
    uint64_t h = hash(p);
    struct shard *s = shard_of(h);
    size_t i;

    shard_lock(s);
    i = shard_find(s, p, h);
    if (i < s->capacity) {
        drop_object(&s->info[i]);
        s->info[i] = info;
    } else {
        if (2 * (s->count + 1) > s->capacity) {
            shard_grow(s);
        }
        shard_put(s, p, info);
        s->count++;
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    }
    if (info.type != 0) {
        atomic_fetch_add_explicit(&objects, 1, memory_order_relaxed);
    }
    shard_unlock(s);
}

int
blocktable_remove(uintptr_t p, struct block_info *info)
{
    uint64_t h = hash(p);
    struct shard *s = shard_of(h);
    size_t i, j, home, mask;

    shard_lock(s);
    i = shard_find(s, p, h);
    if (i >= s->capacity) {
        shard_unlock(s);
        return 0;
    }
    *info = s->info[i];
    drop_object(info);
    /* backward shift: move up every later key of the run whose home slot
     * does not lie (cyclically) after the hole */
    mask = s->capacity - 1;
    for (j = (i + 1) & mask; s->key[j] != 0; j = (j + 1) & mask) {
        home = slot_of(s, hash(s->key[j]));
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->key[i] = s->key[j];
            s->info[i] = s->info[j];
            i = j;
        }
    }
    s->key[i] = 0;
    s->count--;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    shard_unlock(s);
    return 1;
}

int
blocktable_get(uintptr_t p, struct block_info *info)
{
    uint64_t h = hash(p);
    struct shard *s = shard_of(h);
    size_t i;
    int found;

    shard_lock(s);
    i = shard_find(s, p, h);
    found = i < s->capacity;
    if (found) {
        *info = s->info[i];
    }
    shard_unlock(s);
    return found;
}

int64_t
blocktable_live(void)
{
    return (int64_t)atomic_load_explicit(&live, memory_order_relaxed);
}

/* The info of a noted block, or NULL; its shard is locked on return. */
static struct block_info *
find_locked(uintptr_t p, struct shard **locked)
{
    uint64_t h = hash(p);
    struct shard *s = shard_of(h);
    size_t i;

    shard_lock(s);
    *locked = s;
    i = shard_find(s, p, h);
    return i < s->capacity ? &s->info[i] : NULL;
}

int
blocktable_mark(uintptr_t p, uint32_t type, uint32_t round, uint32_t site)
{
    struct shard *s;
    struct block_info *info = find_locked(p, &s);

    if (info != NULL) {
        if (info->type == 0) {
            atomic_fetch_add_explicit(&objects, 1, memory_order_relaxed);
        }
        info->type = type;
        info->round = round;
        if (site != 0) {
            info->site = site;
        }
    }
    shard_unlock(s);
    return info != NULL;
}

void
blocktable_unmark(uintptr_t p)
{
    struct shard *s;
    struct block_info *info = find_locked(p, &s);

    if (info != NULL) {
        drop_object(info);
        info->type = 0;
    }
    shard_unlock(s);
}

int64_t
blocktable_objects(void)
{
    return (int64_t)atomic_load_explicit(&objects, memory_order_relaxed);
}

void
blocktable_each(void (*each)(uintptr_t, struct block_info, void *), void *arg)
{
    struct shard *s;
    size_t i;

    for (s = shards; s < shards + SHARDS; s++) {
        shard_lock(s);
        for (i = 0; i < s->capacity; i++) {
            if (s->key[i] != 0) {
                each(s->key[i], s->info[i], arg);
            }
        }
        shard_unlock(s);
    }
}
