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
 *           counts live blocks itself (allocations minus frees).
 *           3.12 and 3.13 never free immortal interned strings at
 *           finalization, so every round leaks one block per string its
 *           code interned: as regrtest does, sys.getunicodeinternedsize()
 *           (3.13: only the immortal ones) is read before each
 *           finalization and that many blocks (3.12 debug: and twice as
 *           many refs) are not counted.
 *   fds     entries of /proc/self/fd, on every build.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
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

#ifdef INTERNED_STRINGS_LEAK
/* What the interpreter leaked by design, not counted (see above). */
static int64_t blocks_excused;
#ifdef Py_REF_DEBUG
static int64_t refs_excused;
#endif
#endif

#ifdef COUNT_BLOCKS_BY_HOOK

/* Live blocks seen through the hook; atomic: subinterpreters may have
 * their own GIL from 3.12 on. */
static atomic_llong live_blocks;

struct domain_hook {
    PyMemAllocatorDomain domain;
    PyMemAllocatorEx     inner;     /* the allocator we wrap */
    PyMemAllocatorEx     outer;     /* ours */
};

static struct domain_hook hooks[2] = {
    { PYMEM_DOMAIN_MEM, { 0 }, { 0 } },
    { PYMEM_DOMAIN_OBJ, { 0 }, { 0 } },
};

static void *
hook_malloc(void *ctx, size_t size)
{
    struct domain_hook *h = ctx;
    void *p = h->inner.malloc(h->inner.ctx, size);

    if (p != NULL) {
        atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    }
    return p;
}

static void *
hook_calloc(void *ctx, size_t n, size_t size)
{
    struct domain_hook *h = ctx;
    void *p = h->inner.calloc(h->inner.ctx, n, size);

    if (p != NULL) {
        atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    }
    return p;
}

static void *
hook_realloc(void *ctx, void *old, size_t size)
{
    struct domain_hook *h = ctx;
    void *p = h->inner.realloc(h->inner.ctx, old, size);

    /* Only realloc(NULL, n) makes a new block; PyMem never frees here. */
    if (p != NULL && old == NULL) {
        atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    }
    return p;
}

static void
hook_free(void *ctx, void *p)
{
    struct domain_hook *h = ctx;

    if (p != NULL) {
        atomic_fetch_sub_explicit(&live_blocks, 1, memory_order_relaxed);
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

#else

/* Exported by libpython up to 3.11, declared only in internal headers. */
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);

#endif /* COUNT_BLOCKS_BY_HOOK */

void
probe_before_init(void)
{
#ifdef COUNT_BLOCKS_BY_HOOK
    /* 3.12+ copies a fresh runtime state over the old one on re-init,
     * default allocators included. */
    hook_install(&hooks[0]);
    hook_install(&hooks[1]);
#endif
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
#ifdef INTERNED_STRINGS_LEAK
    int64_t interned = interned_strings();

    blocks_excused += interned;
#ifdef Py_REF_DEBUG
    /* regrtest 3.12 takes two refs a string; not measured here */
    refs_excused += PY_VERSION_HEX < 0x030D0000 ? 2 * interned : 0;
#endif
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

/* The raw counters, excusing nothing. */
static void
probe_read_counts(int64_t counter[METRIC_COUNT])
{
#if defined(Py_REF_DEBUG) && PY_VERSION_HEX >= 0x030C0000
    counter[METRIC_REFS] = (int64_t)_Py_GetGlobalRefTotal();
#elif defined(Py_REF_DEBUG)
    counter[METRIC_REFS] = (int64_t)_Py_GetRefTotal();
#else
    counter[METRIC_REFS] = COUNTER_NONE;
#endif
#ifdef COUNT_BLOCKS_BY_HOOK
    counter[METRIC_BLOCKS] = (int64_t)atomic_load(&live_blocks);
#else
    counter[METRIC_BLOCKS] = (int64_t)_Py_GetAllocatedBlocks();
#endif
    counter[METRIC_FDS] = count_fds();
}

void
probe_read(int64_t counter[METRIC_COUNT])
{
    probe_read_counts(counter);
#ifdef INTERNED_STRINGS_LEAK
    counter[METRIC_BLOCKS] -= blocks_excused;
#ifdef Py_REF_DEBUG
    counter[METRIC_REFS] -= refs_excused;
#endif
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

    probe_read_counts(counter);
#ifdef INTERNED_STRINGS_LEAK
    /* and those of the subinterpreters that ended (probe_before_finalize
     * counted them): each has an interned dict of its own */
    counter[METRIC_BLOCKS] -= interned + blocks_excused;
#ifdef Py_REF_DEBUG
    counter[METRIC_REFS] -= (PY_VERSION_HEX < 0x030D0000 ? 2 * interned : 0) +
        refs_excused;
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
