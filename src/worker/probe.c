/*
 * probe.c: the process-wide counters of the embedded CPython, and every
 * difference between the versions and builds refhunt supports.
 *
 *   refs    Py_REF_DEBUG builds only: _Py_GetRefTotal() up to 3.11,
 *           _Py_GetGlobalRefTotal() from 3.12 (which also holds what
 *           finalized interpreters left behind).
 *   blocks  up to 3.11: _Py_GetAllocatedBlocks(), the live blocks in
 *           pymalloc's arenas, readable after finalization. From 3.12 that
 *           counter is per interpreter and its global sum is not exported,
 *           so refhunt wraps the "mem" and "object" allocator domains and
 *           counts the live blocks it saw allocated (blocktable.c): a
 *           free of a block allocated before the hook was installed
 *           changes nothing, so the count cannot drift below what the
 *           rounds keep, and no empty-round calibration has to correct
 *           it. Up to 3.11 the hook (for --trace-blocks only) keeps the
 *           table, and pymalloc's counter stays the blocks metric, as
 *           regrtest reads it.
 *           3.12 and 3.13 never free immortal interned strings at
 *           finalization, so every round leaks one block per string its
 *           code interned (all the blocks an empty reinit round of 3.13.0
 *           leaves are such strings). After an interpreter ends, the
 *           noted blocks that are immortal str objects are not counted;
 *           in a live interpreter (loop mode, per test), as regrtest
 *           does, sys.getunicodeinternedsize() (3.13: only the immortal
 *           ones) blocks are not (3.12 debug: and twice as many refs,
 *           also for the interpreters that ended).
 *           Free-threaded 3.13: an interpreter that ends leaves blocks
 *           that nothing holds and that it never frees (residue_object,
 *           chunk_entries: measured on 3.13.5, about 2,400 a cycle, of
 *           which the target's imports decide a few hundred); after an
 *           interpreter ends they are not counted. Held blocks, a leak's
 *           among them, stay counted.
 *   fds     entries of /proc/self/fd, on every build.
 *   objects release builds of 3.13+ (no refs total there): the live
 *           objects that the reference tracer (PyRefTracer_SetTracer,
 *           3.13+) saw created and not yet destroyed. A create event
 *           marks the object's block in the table, a destroy event
 *           unmarks it (a free list keeps the block): objects made
 *           before the tracer was installed (in the interpreter's own
 *           initialization) are not counted, so their destruction is
 *           not either, as for blocks. The tracer is installed after each
 *           initialization, with the GIL (3.13's PyRefTracer_SetTracer
 *           asserts it, and a new runtime state resets it), only where
 *           objects are counted or --trace-blocks names the objects'
 *           types. The immortal interned strings are left out as for
 *           blocks.
 *
 * Free-threaded: each thread keeps its own reference total, added to its
 * interpreter's when its thread state is deleted; _Py_GetGlobalRefTotal()
 * adds the live threads' totals too, and Py_FinalizeEx deletes the thread
 * states before the interpreter, so every reading holds what every thread
 * did (measured: 20 objects leaked by 4 threads read 20 in every mode).
 *
 * 3.12 and 3.13 debug: _Py_GetGlobalRefTotal() takes the runtime's
 * interpreters lock, which 3.12's _PyRuntimeState_Fini frees at the end of
 * Py_FinalizeEx; so the total after finalization is read in a Py_AtExit
 * function, which Py_FinalizeEx calls after the last interpreter is gone
 * and its leftover refs are added up (_Py_FinalizeRefTotal), before the
 * runtime's locks are freed. (Written from CPython 3.12's pylifecycle.c,
 * object.c and pystate.c; not run: no 3.12 debug build here.)
 *
 * Extension modules not built for a debug interpreter: their inline
 * Py_INCREF and Py_DECREF change reference counts without the total, so
 * the total drifts although nothing is kept (probe_untrusted_modules).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h>     /* struct _frame: f_back, f_code, f_lasti */
#endif

#include <dirent.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocktable.h"
#include "probe.h"
#include "sites.h"
#include "xmalloc.h"

#if PY_VERSION_HEX < 0x03090000
#error "refhunt needs CPython 3.9 or newer"
#endif

#if PY_VERSION_HEX >= 0x030C0000
#define COUNT_BLOCKS_BY_HOOK 1
#endif
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000
#define INTERNED_STRINGS_LEAK 1
#endif
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX < 0x030E0000
#define FREE_THREADED_RESIDUE 1
#endif
#if PY_VERSION_HEX >= 0x030D0000
#define HAS_REF_TRACER 1
#if !defined(Py_REF_DEBUG)
#define COUNT_OBJECTS 1
#endif
#endif

#if defined(INTERNED_STRINGS_LEAK) && defined(Py_REF_DEBUG)
/* What the interpreters that ended leaked by design, not counted (see
 * above). */
static int64_t refs_excused;
#endif

/* The round the worker runs, for the blocks allocated in it, and whether
 * its allocations' sites are read (a tracked round's). */
static atomic_uint current_round;
static atomic_int sites_read;

/* Whether the hook is wanted on a build that counts blocks otherwise
 * (--trace-blocks up to 3.11). */
static int hook_wanted;

#ifdef HAS_REF_TRACER
/* Whether the reference tracer is wanted: objects are counted, or
 * --trace-blocks names the types of the objects in kept blocks. */
static int tracer_wanted, types_wanted;
#endif

struct domain_hook {
    PyMemAllocatorDomain domain;
    PyMemAllocatorEx     inner;     /* the allocator we wrap */
    PyMemAllocatorEx     outer;     /* ours */
};

static struct domain_hook hooks[2] = {
    { PYMEM_DOMAIN_MEM, { 0 }, { 0 } },
    { PYMEM_DOMAIN_OBJ, { 0 }, { 0 } },
};

/* The block this thread noted last: an object made in it is new, one
 * made in another noted block reuses it from a free list. */
static _Thread_local uintptr_t fresh_block;

static void
note_block(const struct domain_hook *h, void *p, size_t size)
{
    struct block_info info = {
        atomic_load_explicit(&current_round, memory_order_relaxed),
        atomic_load_explicit(&sites_read, memory_order_relaxed) ?
        sites_capture() : 0, h->domain == PYMEM_DOMAIN_OBJ,
        size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
    };

    blocktable_add((uintptr_t)p, info);
    fresh_block = (uintptr_t)p;
}

static void *
hook_malloc(void *ctx, size_t size)
{
    struct domain_hook *h = ctx;
    void *p = h->inner.malloc(h->inner.ctx, size);

    if (p != NULL) {
        note_block(h, p, size);
    }
    return p;
}

static void *
hook_calloc(void *ctx, size_t n, size_t size)
{
    struct domain_hook *h = ctx;
    void *p = h->inner.calloc(h->inner.ctx, n, size);

    if (p != NULL) {
        note_block(h, p, n * size);
    }
    return p;
}

/* A block that moves stays noted (as made now) if it was; one allocated
 * before the hook stays unnoted. Forgotten before the inner realloc, which
 * may hand the old address to another thread. */
static void *
hook_realloc(void *ctx, void *old, size_t size)
{
    struct domain_hook *h = ctx;
    struct block_info info;
    int known = old == NULL || blocktable_remove((uintptr_t)old, &info);
    void *p = h->inner.realloc(h->inner.ctx, old, size);

    if (p == NULL && old != NULL && known) {
        blocktable_add((uintptr_t)old, info);   /* failed: old stays */
    } else if (p != NULL && known) {
        note_block(h, p, size);
    }
    return p;
}

static void
hook_free(void *ctx, void *p)
{
    struct domain_hook *h = ctx;
    struct block_info info;

    if (p != NULL) {
        blocktable_remove((uintptr_t)p, &info);
    }
    h->inner.free(h->inner.ctx, p);
}

/* Wraps a domain unless it is wrapped already. */
static void
hook_install(struct domain_hook *h)
{
    PyMemAllocatorEx current;

    PyMem_GetAllocator(h->domain, &current);
    if (current.malloc == hook_malloc) {
        return;
    }
    h->inner = current;
    h->outer.ctx = h;
    h->outer.malloc = hook_malloc;
    h->outer.calloc = hook_calloc;
    h->outer.realloc = hook_realloc;
    h->outer.free = hook_free;
    PyMem_SetAllocator(h->domain, &h->outer);
}

#ifndef COUNT_BLOCKS_BY_HOOK

/* Exported by libpython up to 3.11, declared only in internal headers. */
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);

#endif /* COUNT_BLOCKS_BY_HOOK */

#ifdef HAS_REF_TRACER
/* Where an object's block starts: before it, the GC's links (not on the
 * free-threaded build) and the managed dict and weakref pointers
 * (_PyType_PreHeaderSize in 3.13's internal pycore_object.h; whether
 * 3.14's is the same was not checked, and nothing here ran on 3.14). */
static uintptr_t
object_block(PyObject *op, PyTypeObject *tp)
{
    uintptr_t pre = 0;

#ifndef Py_GIL_DISABLED
    if (PyType_HasFeature(tp, Py_TPFLAGS_HAVE_GC)) {
        pre += 2 * sizeof(uintptr_t);       /* PyGC_Head */
    }
#endif
    if (PyType_HasFeature(tp, Py_TPFLAGS_MANAGED_DICT |
        Py_TPFLAGS_MANAGED_WEAKREF)) {
        pre += 2 * sizeof(PyObject *);
    }
    return (uintptr_t)op - pre;
}

/* Called by CPython when an object is made (its type is set) and before
 * it is destroyed; allocates nothing through the hooked domains. */
static int
ref_tracer(PyObject *op, PyRefTracerEvent event, void *data)
{
    PyTypeObject *tp = Py_TYPE(op);

    (void)data;
    if (tp == NULL) {
        return 0;
    }
    if (event == PyRefTracer_CREATE) {
        uintptr_t block = object_block(op, tp);
        /* --trace-blocks: an object a free list gives out is made where
         * it is made again, as tracemalloc says since 3.13 */
        uint32_t site = types_wanted && block != fresh_block &&
            atomic_load_explicit(&sites_read, memory_order_relaxed) ?
            sites_capture() : 0;

        fresh_block = 0;
        blocktable_mark(block, types_wanted ? sites_type(tp, tp->tp_name) :
            1, atomic_load_explicit(&current_round, memory_order_relaxed),
            site);
    } else {
        blocktable_unmark(object_block(op, tp));
        if (types_wanted && PyType_Check(op)) {
            sites_forget_type(op);
        }
    }
    return 0;
}
#endif

void
probe_after_init(void)
{
#ifdef HAS_REF_TRACER
    if (tracer_wanted) {
        PyRefTracer_SetTracer(ref_tracer, NULL);
    }
#endif
}

int
probe_objects_counted(void)
{
#ifdef COUNT_OBJECTS
    return 1;
#else
    return 0;
#endif
}

void
probe_before_init(void)
{
#ifdef COUNT_BLOCKS_BY_HOOK
    hook_wanted = 1;
#endif
#ifdef COUNT_OBJECTS
    tracer_wanted = 1;
#endif
    /* 3.12+ copies a fresh runtime state over the old one on re-init,
     * default allocators included. */
    if (hook_wanted) {
        hook_install(&hooks[0]);
        hook_install(&hooks[1]);
    }
}

void
probe_trace_blocks(int py_frames)
{
    hook_wanted = 1;
#ifdef HAS_REF_TRACER
    tracer_wanted = types_wanted = 1;
#endif
    sites_start(py_frames);
}

void
probe_set_round(int round, int tracked)
{
    atomic_store_explicit(&current_round, (unsigned)round,
        memory_order_relaxed);
    atomic_store_explicit(&sites_read, tracked, memory_order_relaxed);
}

#ifdef INTERNED_STRINGS_LEAK
/* sys.getunicodeinternedsize(), 3.13: of the immortal ones only; 0 on an
 * error. What it allocates is freed before it returns. */
static int64_t
interned_strings(void)
{
    PyObject *func = PySys_GetObject("getunicodeinternedsize"), *n = NULL;
    PyObject *args = PyTuple_New(0), *kwargs = NULL;
    int64_t count = 0;

#if PY_VERSION_HEX >= 0x030D0000
    kwargs = Py_BuildValue("{s:O}", "_only_immortal", Py_True);
#endif
    if (func != NULL && args != NULL) {
        n = PyObject_Call(func, args, kwargs);
    }
    if (n != NULL) {
        count = PyLong_AsLongLong(n);
        Py_DECREF(n);
    }
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    PyErr_Clear();
    return count;
}
#endif

void
probe_before_finalize(void)
{
#if defined(INTERNED_STRINGS_LEAK) && defined(Py_REF_DEBUG)
    /* regrtest 3.12 takes two refs a string; not measured here */
    refs_excused += PY_VERSION_HEX < 0x030D0000 ? 2 * interned_strings() : 0;
#endif
}

#ifdef FREE_THREADED_RESIDUE
/*
 * What a free-threaded 3.13 interpreter leaves behind when it ends, none
 * of it held by anything (measured on 3.13.5 through the table, with the
 * allocating C stacks; README, "Blocks after a free-threaded 3.13
 * interpreter ends"):
 *
 *  - objects whose only reference is the one a deferred reference count
 *    holds until a collection settles it: the descriptors of the static
 *    types and the dicts of sys and builtins, dropped after the last
 *    collection (typeobject.c, pystate.c's interpreter_clear): 1809 a
 *    cycle with any target, more where its imports ready static types;
 *  - objects with no reference at all, in the free lists of the thread
 *    that finalizes: PyThreadState_Clear closes them for good, but the
 *    last collection opens them again (gc_free_threading.c calls
 *    _PyObject_ClearFreeLists(..., 0)), and what is freed after it (the
 *    bases and MRO tuples of the static types) stays in them: 533 a
 *    reinit cycle, 8 a subinterpreter;
 *  - blocks freed with a delay (QSBR, _PyMem_FreeDelayed) after that
 *    thread handed its queue to the interpreter (_PyMem_AbandonDelayed),
 *    in the last collection and later: the new queue is never processed,
 *    and its 4096-byte chunk and the blocks it lists stay: 37 with
 *    `pass`, 144 with tests/targets/clean_work.py.
 *
 * A reference leaked, a block a C static keeps, an object one of these
 * holds: each is held, so none of it is left out. Layouts are 3.13's
 * private ones.
 */
#define GC_BITS_DEFERRED        64      /* pycore_gc.h: _PyGC_BITS_DEFERRED */
#define WORK_ITEMS_PER_CHUNK    254     /* Objects/obmalloc.c */

/* obmalloc.c's struct _mem_work_chunk */
struct mem_work_chunk {
    void       *next, *prev;            /* struct llist_node */
    Py_ssize_t  rd_idx, wr_idx;         /* entries [rd_idx, wr_idx) pend */
    struct {
        uintptr_t   ptr;                /* bit 0: PyObject_Free, else PyMem_Free */
        uint64_t    qsbr_goal;          /* odd: QSBR_INITIAL 1, QSBR_INCR 2 */
    } array[WORK_ITEMS_PER_CHUNK];
};

/* The types whose free lists keep objects of no reference (3.13's
 * struct _Py_object_freelists; the async generators' types are not
 * exported), and those whose objects get deferred reference counts. */
static PyTypeObject *const freelist_types[] = {
    &PyFloat_Type, &PyTuple_Type, &PyList_Type, &PyDict_Type,
    &PySlice_Type, &PyContext_Type, NULL,
};
static PyTypeObject *const deferred_types[] = {
    &PyMethodDescr_Type, &PyClassMethodDescr_Type, &PyGetSetDescr_Type,
    &PyMemberDescr_Type, &PyWrapperDescr_Type, &PyDict_Type,
    &PyModule_Type, &PyFunction_Type, &PyCode_Type, &PyType_Type, NULL,
};

/* Addresses, in libc memory (the table's callbacks fill them). */
struct addresses {
    uintptr_t  *p;
    size_t      n, cap;
};

/* The chunks of pending delayed frees that the interpreters that ended
 * left, and the blocks they list: sorted, after residue_mark(). */
static struct addresses queued, chunk_candidates;

/* Whether the table's leftovers are of interpreters that ended (the
 * rules above hold only there). */
static int ended;

static void
address_add(struct addresses *a, uintptr_t p)
{
    if (a->n == a->cap) {
        a->cap = a->cap == 0 ? 256 : 2 * a->cap;
        a->p = xreallocarray(a->p, a->cap, sizeof *a->p);
    }
    a->p[a->n++] = p;
}

static int
address_order(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

    return x < y ? -1 : x > y;
}

static int
type_among(PyObject *op, PyTypeObject *const *types)
{
    for (; *types != NULL; types++) {
        if (Py_IS_TYPE(op, *types)) {
            return 1;
        }
    }
    return 0;
}

/* An object of no reference, or of only the deferred one. A noted block
 * is not freed, so its head can be read; an object block is at least a
 * PyObject (these types have no pre-header). */
static int
residue_object(uintptr_t p, struct block_info info)
{
    PyObject *op = (PyObject *)p;
    Py_ssize_t refcnt;

    if (!info.object || info.size < sizeof(PyObject)) {
        return 0;
    }
    refcnt = Py_REFCNT(op);
    if (refcnt == 0) {
        return type_among(op, freelist_types);
    }
    return refcnt == 1 && (op->ob_gc_bits & GC_BITS_DEFERRED) != 0 &&
        type_among(op, deferred_types);
}

static void
note_chunk_candidate(uintptr_t p, struct block_info info, void *arg)
{
    (void)arg;
    if (!info.object && info.size == sizeof(struct mem_work_chunk)) {
        address_add(&chunk_candidates, p);
    }
}

/* Whether the mem block at p is a chunk of delayed frees, each pending
 * entry a noted block of the domain its tag says (then they are added to
 * queued, and the chunk too). */
static int
chunk_entries(uintptr_t p)
{
    const struct mem_work_chunk *c = (const void *)p;
    struct block_info info;
    uintptr_t q;
    Py_ssize_t i;

    if (c->next == NULL || c->prev == NULL ||
        ((uintptr_t)c->next | (uintptr_t)c->prev) % sizeof(void *) != 0 ||
        c->rd_idx < 0 || c->rd_idx >= c->wr_idx ||
        c->wr_idx > WORK_ITEMS_PER_CHUNK) {
        return 0;
    }
    for (i = c->rd_idx; i < c->wr_idx; i++) {
        q = c->array[i].ptr & ~(uintptr_t)1;
        if ((c->array[i].qsbr_goal & 1) == 0 || !blocktable_get(q, &info) ||
            info.object != (c->array[i].ptr & 1)) {
            return 0;
        }
    }
    for (i = c->rd_idx; i < c->wr_idx; i++) {
        address_add(&queued, c->array[i].ptr & ~(uintptr_t)1);
    }
    address_add(&queued, p);
    return 1;
}

/* After an interpreter ends: finds the chunks of delayed frees. */
static void
residue_mark(void)
{
    size_t i;

    queued.n = chunk_candidates.n = 0;
    blocktable_each(note_chunk_candidate, NULL);
    for (i = 0; i < chunk_candidates.n; i++) {
        chunk_entries(chunk_candidates.p[i]);
    }
    if (queued.n > 0) {
        qsort(queued.p, queued.n, sizeof *queued.p, address_order);
    }
    ended = 1;
}

static int
residue(uintptr_t p, struct block_info info)
{
    return ended && (residue_object(p, info) || (queued.n > 0 &&
        bsearch(&p, queued.p, queued.n, sizeof *queued.p, address_order) !=
        NULL));
}
#endif /* FREE_THREADED_RESIDUE */

int
probe_block_by_design(uintptr_t p, struct block_info info)
{
#ifdef INTERNED_STRINGS_LEAK
    /* An object block is at least a PyObject, and a noted block is not
     * freed: reading its head is safe, also after Py_FinalizeEx (the
     * arenas stay). */
    PyObject *op = (PyObject *)p;

#ifdef FREE_THREADED_RESIDUE
    if (residue(p, info)) {
        return 1;
    }
#endif
    return info.object && info.size >= sizeof(PyObject) &&
        Py_IS_TYPE(op, &PyUnicode_Type) && _Py_IsImmortal(op);
#else
    (void)p;
    (void)info;
    return 0;
#endif
}

#ifdef INTERNED_STRINGS_LEAK
/* Blocks ([0]) and live objects ([1]) the runtime keeps by design. */
static void
count_by_design(uintptr_t p, struct block_info info, void *arg)
{
    if (probe_block_by_design(p, info)) {
        ((int64_t *)arg)[0]++;
        ((int64_t *)arg)[1] += info.type != 0;
    }
}
#endif

/* The blocks and objects metrics once an interpreter has ended: the live
 * blocks the hook saw and the live objects the tracer saw, less what the
 * runtime keeps by design (immortal strings) or leaves unheld (the
 * free-threaded 3.13's residue). */
static void
after_end(int64_t counter[METRIC_COUNT])
{
#if defined(INTERNED_STRINGS_LEAK)
    int64_t kept[2] = { 0, 0 };

#ifdef FREE_THREADED_RESIDUE
    residue_mark();
#endif
    blocktable_each(count_by_design, kept);
    counter[METRIC_BLOCKS] = blocktable_live() - kept[0];
    if (counter[METRIC_OBJECTS] != COUNTER_NONE) {
        counter[METRIC_OBJECTS] -= kept[1];
    }
#elif defined(COUNT_BLOCKS_BY_HOOK)
    counter[METRIC_BLOCKS] = blocktable_live();
#else
    counter[METRIC_BLOCKS] = (int64_t)_Py_GetAllocatedBlocks();
#endif
}

static int64_t
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int64_t n = 0;

    if (d == NULL) {
        return COUNTER_NONE;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1;       /* the descriptor of the listing itself */
}

#if defined(Py_REF_DEBUG) && PY_VERSION_HEX >= 0x030C0000
/* The total as the last Py_FinalizeEx left it (see above). */
static int64_t refs_at_exit;

static void
read_refs_at_exit(void)
{
    refs_at_exit = (int64_t)_Py_GetGlobalRefTotal();
}
#endif

int
probe_finalize(void)
{
#if defined(Py_REF_DEBUG) && PY_VERSION_HEX >= 0x030C0000
    /* Py_FinalizeEx pops its exit functions: one for every finalization */
    if (Py_AtExit(read_refs_at_exit) != 0) {
        refs_at_exit = COUNTER_NONE;
    }
#endif
    return Py_FinalizeEx();
}

/* The raw counters, excusing nothing; live: in a running interpreter. */
static void
probe_read_counts(int64_t counter[METRIC_COUNT], int live)
{
    (void)live;     /* (3.12+ debug only) */
#if defined(Py_REF_DEBUG) && PY_VERSION_HEX >= 0x030C0000
    counter[METRIC_REFS] = live ? (int64_t)_Py_GetGlobalRefTotal() :
        refs_at_exit;
#elif defined(Py_REF_DEBUG)
    counter[METRIC_REFS] = (int64_t)_Py_GetRefTotal();
#else
    counter[METRIC_REFS] = COUNTER_NONE;
#endif
#ifdef COUNT_BLOCKS_BY_HOOK
    counter[METRIC_BLOCKS] = blocktable_live();
#else
    counter[METRIC_BLOCKS] = (int64_t)_Py_GetAllocatedBlocks();
#endif
    counter[METRIC_FDS] = count_fds();
#ifdef COUNT_OBJECTS
    counter[METRIC_OBJECTS] = blocktable_objects();
#else
    counter[METRIC_OBJECTS] = COUNTER_NONE;
#endif
}

void
probe_read(int64_t counter[METRIC_COUNT])
{
    probe_read_counts(counter, 0);
    after_end(counter);
#if defined(INTERNED_STRINGS_LEAK) && defined(Py_REF_DEBUG)
    if (counter[METRIC_REFS] != COUNTER_NONE) {
        counter[METRIC_REFS] -= refs_excused;
    }
#endif
}

void
probe_read_after_subinterpreter(int64_t counter[METRIC_COUNT])
{
    probe_read_counts(counter, 1);
    after_end(counter);
#if defined(INTERNED_STRINGS_LEAK) && defined(Py_REF_DEBUG)
    counter[METRIC_REFS] -= (PY_VERSION_HEX < 0x030D0000 ?
        2 * interned_strings() : 0) + refs_excused;
#endif
}

void
probe_read_live(int64_t counter[METRIC_COUNT])
{
#ifdef INTERNED_STRINGS_LEAK
    /* As regrtest: the interned strings (3.13: immortal ones) stay until
     * the runtime ends; they are not the target's. */
    int64_t interned = interned_strings();
#endif

#ifdef FREE_THREADED_RESIDUE
    ended = 0;          /* a live interpreter's blocks are all counted */
#endif
    probe_read_counts(counter, 1);
#ifdef INTERNED_STRINGS_LEAK
    counter[METRIC_BLOCKS] -= interned;
#ifdef COUNT_OBJECTS
    counter[METRIC_OBJECTS] -= interned;
#endif
#ifdef Py_REF_DEBUG
    counter[METRIC_REFS] -= PY_VERSION_HEX < 0x030D0000 ? 2 * interned : 0;
#endif
#endif
}

/*
 * A subinterpreter, current on return; NULL with *cause. From 3.12 with a
 * config that makes single-phase extension modules refuse to load (as
 * they do in isolated subinterpreters) but shares the GIL and the object
 * allocator, so that the counters stay process-wide.
 */
PyThreadState *
probe_new_subinterpreter(char **cause)
{
    PyThreadState *sub = NULL;

#if PY_VERSION_HEX >= 0x030C0000
    PyInterpreterConfig config = {
        .use_main_obmalloc = 1,
        .allow_fork = 1,
        .allow_exec = 1,
        .allow_threads = 1,
        .allow_daemon_threads = 1,
        .check_multi_interp_extensions = 1,
        .gil = PyInterpreterConfig_SHARED_GIL,
    };
    PyStatus status = Py_NewInterpreterFromConfig(&sub, &config);

    if (PyStatus_Exception(status)) {
        *cause = xasprintf("Py_NewInterpreterFromConfig: %s",
            status.err_msg != NULL ? status.err_msg : "failed");
        return NULL;
    }
#else
    sub = Py_NewInterpreter();
    if (sub == NULL) {
        *cause = xstrdup("Py_NewInterpreter failed");
        return NULL;
    }
#endif
    return sub;
}

void
probe_end_subinterpreter(PyThreadState *sub, PyThreadState *main_tstate)
{
    Py_EndInterpreter(sub);
    PyThreadState_Swap(main_tstate);
}

const char *
probe_version(void)
{
    static char version[32];
    const char *v = Py_GetVersion();    /* safe before initialization */
    size_t n = strcspn(v, " ");

    if (n >= sizeof version) {
        n = sizeof version - 1;
    }
    memcpy(version, v, n);
    version[n] = '\0';
    return version;
}

int
probe_debug_build(void)
{
#ifdef Py_DEBUG
    return 1;
#else
    return 0;
#endif
}

/* References in op's count that no referrer accounts for by design: on
 * the free-threaded 3.13, the 1 that a deferred reference count holds
 * until the GC settles it (functions, code, modules, descriptors, heap
 * types: --explain took it for a reference from C). _PyGC_BITS_DEFERRED
 * is 64 in 3.13's internal pycore_gc.h. */
int
probe_uncounted_refs(PyObject *op)
{
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX < 0x030E0000
    return (op->ob_gc_bits & 64) != 0;
#else
    (void)op;
    return 0;
#endif
}

/* refhunt's own code (glue.py, finders.py, pertest.py): before 3.11, ceval counts the
 * calls of every code object and, at the 1024th (opcache_min_runs),
 * allocates its opcache: co_opcache_map and co_opcache, two blocks kept
 * for the code's life. refhunt's loop calls its own functions hundreds of
 * times a run (_own_dict once per module), so the 1024th call fell in a
 * tracked run: 2 blocks that no run of the target kept (measured on
 * 3.9.18: a 32-byte and a 128-byte block at _own_dict's 1024th call, the
 * sizes of its map and of its 4 LOAD_GLOBAL entries). A count past the
 * threshold turns the cache off for these code objects, and those of
 * the functions, classes and lambdas they make (co_consts), for good:
 * ceval only counts while the count is below it. 3.11+ specializes in
 * place, allocating nothing. */
void
probe_own_code(PyObject *code)
{
#if PY_VERSION_HEX < 0x030B0000
    PyCodeObject *co = (PyCodeObject *)code;
    Py_ssize_t i;

    if (!PyCode_Check(code)) {
        return;
    }
    co->co_opcache_flag = 1 << 30;
    for (i = 0; i < PyTuple_GET_SIZE(co->co_consts); i++) {
        probe_own_code(PyTuple_GET_ITEM(co->co_consts, i));
    }
#else
    (void)code;
#endif
}

/* Before 3.11: probe_own_code() for the functions and methods of every
 * module in sys.modules (the target's and the libraries' it loaded),
 * before one's 1024th call falls in a tracked run. A code object that
 * has its cache keeps it. */
#if PY_VERSION_HEX < 0x030B0000
static void
no_opcache_in(PyObject *value)
{
    PyObject *func;

    if (PyFunction_Check(value)) {
        probe_own_code(PyFunction_GET_CODE(value));
    } else if (PyMethod_Check(value)) {
        no_opcache_in(PyMethod_GET_FUNCTION(value));
    } else if (Py_TYPE(value) == &PyStaticMethod_Type ||
        Py_TYPE(value) == &PyClassMethod_Type) {
        func = PyObject_GetAttrString(value, "__func__");
        if (func == NULL) {
            PyErr_Clear();
        } else {
            if (PyFunction_Check(func)) {
                probe_own_code(PyFunction_GET_CODE(func));
            }
            Py_DECREF(func);
        }
    }
}
#endif

void
probe_no_opcache(void)
{
#if PY_VERSION_HEX < 0x030B0000
    PyObject *modules = PyImport_GetModuleDict(), *key, *mod, *name,
        *value, *attr, *member;
    Py_ssize_t pos = 0, i, j;

    while (PyDict_Next(modules, &pos, &key, &mod)) {
        if (!PyModule_Check(mod)) {
            continue;
        }
        name = PyModule_GetDict(mod);
        i = 0;
        while (PyDict_Next(name, &i, &attr, &value)) {
            if (PyType_Check(value) &&
                ((PyTypeObject *)value)->tp_dict != NULL) {
                j = 0;
                while (PyDict_Next(((PyTypeObject *)value)->tp_dict, &j,
                    &attr, &member)) {
                    no_opcache_in(member);
                }
            } else {
                no_opcache_in(value);
            }
        }
    }
#endif
}

int
probe_free_threaded(void)
{
#ifdef Py_GIL_DISABLED
    return 1;
#else
    return 0;
#endif
}

int
probe_refs_available(void)
{
#ifdef Py_REF_DEBUG
    return 1;
#else
    return 0;
#endif
}

const char *
probe_blocks_source(void)
{
#ifdef COUNT_BLOCKS_BY_HOOK
    return "allocator-hook";
#else
    return "pymalloc";
#endif
}

int
probe_clean_cycle(void)
{
    /* Measured with -c pass, 3:3 (README): 3.10.13 and 3.11.7 release and
     * 3.11.2 debug leave nothing; 3.9.18 leaves 2253 blocks a cycle and
     * 3.12.1 and 3.13.0 leave their interned strings and more. */
    return PY_VERSION_HEX >= 0x030A0000 && PY_VERSION_HEX < 0x030C0000;
}

int
probe_rounds_independent(void)
{
    /* 3.9.18 keeps 1 or 2 blocks more in a target's round after a round
     * that only imported its modules, and 1 to 4 more in an import round
     * after empty ones; 3.10 to 3.13 keep the same (every script target
     * of tests/ hunted both ways: README) */
    return PY_VERSION_HEX >= 0x030A0000;
}

/* ---- the Python stack, for --trace-blocks: read inside the allocator
 * hook, so nothing here may allocate or touch a reference count */

#if PY_VERSION_HEX >= 0x030D0000
/* The head of 3.13's _PyInterpreterFrame (internal/pycore_frame.h). */
struct frame_head {
    PyObject                *executable;    /* a code object, or None */
    struct _PyInterpreterFrame *previous;
};
#elif PY_VERSION_HEX >= 0x030C0000
/* 3.12's, up to owner (shim frames of C calls are owned by the C stack,
 * 3, and have no line of their own). */
struct frame_head {
    PyCodeObject            *code;
    struct _PyInterpreterFrame *previous;
    PyObject                *funcobj, *globals, *builtins, *locals;
    PyFrameObject           *frame_obj;
    _Py_CODEUNIT            *prev_instr;
    int                      stacktop;
    uint16_t                 return_offset;
    char                     owner;
};
#elif PY_VERSION_HEX >= 0x030B0000
/* 3.11's. */
struct frame_head {
    PyFunctionObject        *func;
    PyObject                *globals, *builtins, *locals;
    PyCodeObject            *code;
    PyFrameObject           *frame_obj;
    struct _PyInterpreterFrame *previous;
    _Py_CODEUNIT            *prev_instr;
};
#endif

int
probe_python_frames(struct py_frame *out, int max)
{
    int n = 0;
#if PY_VERSION_HEX >= 0x030D0000
    PyThreadState *tstate = PyThreadState_GetUnchecked();
    struct _PyInterpreterFrame *f = tstate != NULL ? tstate->current_frame :
        NULL;

    for (; f != NULL && n < max; f = ((struct frame_head *)f)->previous) {
        PyObject *code = ((struct frame_head *)f)->executable;

        if (code != NULL && PyCode_Check(code)) {
            out[n].code = code;
            out[n++].addr = PyUnstable_InterpreterFrame_GetLasti(f);
        }
    }
#elif PY_VERSION_HEX >= 0x030C0000
    PyThreadState *tstate = _PyThreadState_UncheckedGet();
    struct _PyInterpreterFrame *f = tstate != NULL && tstate->cframe != NULL ?
        tstate->cframe->current_frame : NULL;

    for (; f != NULL && n < max; f = ((struct frame_head *)f)->previous) {
        struct frame_head *h = (struct frame_head *)f;

        if (h->owner != 3 && h->code != NULL) {
            out[n].code = h->code;
            out[n++].addr = PyUnstable_InterpreterFrame_GetLasti(f);
        }
    }
#elif PY_VERSION_HEX >= 0x030B0000
    PyThreadState *tstate = _PyThreadState_UncheckedGet();
    struct _PyInterpreterFrame *f = tstate != NULL && tstate->cframe != NULL ?
        tstate->cframe->current_frame : NULL;

    for (; f != NULL && n < max; f = ((struct frame_head *)f)->previous) {
        struct frame_head *h = (struct frame_head *)f;

        if (h->code != NULL) {
            out[n].code = h->code;
            out[n++].addr = (int)(h->prev_instr -
                (_Py_CODEUNIT *)h->code->co_code_adaptive) *
                (int)sizeof(_Py_CODEUNIT);
        }
    }
#else
    PyThreadState *tstate = _PyThreadState_UncheckedGet();
    PyFrameObject *f = tstate != NULL ? tstate->frame : NULL;

    for (; f != NULL && n < max; f = f->f_back) {
        out[n].code = f->f_code;
        /* 3.10 counts instructions, 3.9 bytes */
        out[n++].addr = PY_VERSION_HEX >= 0x030A0000 ?
            f->f_lasti * (int)sizeof(_Py_CODEUNIT) : f->f_lasti;
    }
#endif
    return n;
}

const char *
probe_frame_where(const struct py_frame *f, int *line)
{
    PyCodeObject *code = f->code;
    const char *file;

    if (!PyUnicode_Check(code->co_filename) ||
        (file = PyUnicode_AsUTF8(code->co_filename)) == NULL) {
        PyErr_Clear();
        return NULL;
    }
    *line = PyCode_Addr2Line(code, f->addr < 0 ? 0 : f->addr);
    return file;
}

const void *
probe_frame_identity(const struct py_frame *f, int *first_line)
{
    PyCodeObject *code = f->code;

    *first_line = code->co_firstlineno;
    return code->co_filename;
}

/* ---- extension modules that bypass the refs total */

#ifdef Py_REF_DEBUG
/*
 * A shared object whose code does inline reference counting calls
 * _Py_Dealloc (Py_DECREF at zero); on the free-threaded build, whose
 * inline Py_DECREF deallocates through libpython, _Py_MergeZeroLocalRefcount
 * or _Py_DecRefShared (measured: the releasebuilt fixture built for
 * 3.13t names these two and no _Py_Dealloc). Built with Py_REF_DEBUG, that code also
 * updates the total, through these (Include/object.h of each version):
 *   3.9 - 3.11  _Py_RefTotal (a variable), _Py_NegativeRefcount
 *   3.12, 3.13  _Py_INCREF_IncRefTotal, _Py_DECREF_DecRefTotal,
 *               _Py_NegativeRefcount (read from CPython's sources, not
 *               run: no 3.12 or 3.13 debug build here)
 * and the limited API's _Py_IncRef/_Py_DecRef are calls into libpython,
 * which counts.
 */
static const char *const counting_symbols[] = {
#if PY_VERSION_HEX >= 0x030C0000
    "_Py_INCREF_IncRefTotal",
    "_Py_DECREF_DecRefTotal",
#else
    "_Py_RefTotal",
#endif
    "_Py_NegativeRefcount",
    "_Py_IncRef",
    "_Py_DecRef",
    NULL,
};

static const char *const decref_symbols[] = {
    "_Py_Dealloc",
#ifdef Py_GIL_DISABLED
    "_Py_MergeZeroLocalRefcount",
    "_Py_DecRefShared",
#endif
    NULL,
};

/* Which of the two kinds of symbols the ELF file's undefined dynamic
 * symbols name: bit 1 a decref one, bit 2 a counting one; 0 when the file
 * cannot be read as an ELF shared object of this machine. */
static int
undefined_symbols(const unsigned char *map, size_t size)
{
    const ElfW(Ehdr) *eh = (const void *)map;
    const ElfW(Shdr) *sh, *dynsym = NULL, *strtab;
    const ElfW(Sym) *sym;
    const char *names, *name;
    size_t i, j, n;
    int found = 0;

    if (size < sizeof *eh || memcmp(map, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 :
        ELFCLASS32) || eh->e_shentsize != sizeof *sh ||
        eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof *sh) {
        return 0;
    }
    sh = (const void *)(map + eh->e_shoff);
    for (i = 0; i < eh->e_shnum && dynsym == NULL; i++) {
        if (sh[i].sh_type == SHT_DYNSYM) {
            dynsym = &sh[i];
        }
    }
    if (dynsym == NULL || dynsym->sh_link >= eh->e_shnum ||
        dynsym->sh_offset > size ||
        dynsym->sh_size > size - dynsym->sh_offset) {
        return 0;
    }
    strtab = &sh[dynsym->sh_link];
    if (strtab->sh_offset > size || strtab->sh_size > size - strtab->sh_offset) {
        return 0;
    }
    names = (const char *)map + strtab->sh_offset;
    sym = (const void *)(map + dynsym->sh_offset);
    n = dynsym->sh_size / sizeof *sym;
    for (i = 0; i < n; i++) {
        if (sym[i].st_shndx != SHN_UNDEF || sym[i].st_name >= strtab->sh_size ||
            memchr(names + sym[i].st_name, '\0',
            strtab->sh_size - sym[i].st_name) == NULL) {
            continue;
        }
        name = names + sym[i].st_name;
        for (j = 0; decref_symbols[j] != NULL; j++) {
            if (strcmp(name, decref_symbols[j]) == 0) {
                found |= 1;
            }
        }
        for (j = 0; counting_symbols[j] != NULL; j++) {
            if (strcmp(name, counting_symbols[j]) == 0) {
                found |= 2;
            }
        }
    }
    return found;
}

/* Whether the shared object at path counts references inline without
 * the total. */
static int
bypasses_total(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
    struct stat sb;
    void *map;

    if (fd < 0) {
        return 0;
    }
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            found = undefined_symbols(map, (size_t)sb.st_size);
            munmap(map, (size_t)sb.st_size);
        }
    }
    close(fd);
    return found == 1;
}

/* What is known so far, for the whole process: files looked at (and their
 * answer), and module names reported. */
struct known {
    char          **name;
    int            *bypasses;
    int             n;
};
static struct known files, reported;

static int
known_index(const struct known *k, const char *name)
{
    int i;

    for (i = 0; i < k->n; i++) {
        if (strcmp(k->name[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

static void
known_add(struct known *k, const char *name, int bypasses)
{
    k->name = xreallocarray(k->name, (size_t)k->n + 1, sizeof *k->name);
    k->bypasses = xreallocarray(k->bypasses, (size_t)k->n + 1,
        sizeof *k->bypasses);
    k->name[k->n] = xstrdup(name);
    k->bypasses[k->n++] = bypasses;
}

/* The module's file, if it is a shared object: a new bytes object. */
static PyObject *
shared_object_path(PyObject *module)
{
    PyObject *dict, *file, *path;
    Py_ssize_t len;

    if (!PyModule_Check(module) || (dict = PyModule_GetDict(module)) ==
        NULL || (file = PyDict_GetItemString(dict, "__file__")) == NULL ||
        !PyUnicode_Check(file)) {
        return NULL;
    }
    path = PyUnicode_EncodeFSDefault(file);
    if (path == NULL) {
        PyErr_Clear();
    } else if ((len = PyBytes_GET_SIZE(path)) < 3 ||
        strcmp(PyBytes_AS_STRING(path) + len - 3, ".so") != 0) {
        Py_CLEAR(path);
    }
    return path;
}
#endif /* Py_REF_DEBUG */

void
probe_untrusted_modules(void (*found)(const char *, void *), void *arg)
{
#ifdef Py_REF_DEBUG
    PyObject *modules = PyImport_GetModuleDict(), *key, *value, *path;
    Py_ssize_t pos = 0;
    const char *name, *p;
    int i;

    while (PyDict_Next(modules, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || (path = shared_object_path(value)) ==
            NULL) {
            continue;
        }
        p = PyBytes_AS_STRING(path);
        if ((i = known_index(&files, p)) < 0) {
            known_add(&files, p, bypasses_total(p));
            i = files.n - 1;
        }
        Py_DECREF(path);
        name = PyUnicode_AsUTF8(key);
        if (name == NULL) {
            PyErr_Clear();
        } else if (files.bypasses[i] && known_index(&reported, name) < 0) {
            known_add(&reported, name, 1);
            found(name, arg);
        }
    }
#else
    (void)found;
    (void)arg;
#endif
}

/* ---- exceptions */

PyObject *
probe_take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;

    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}
