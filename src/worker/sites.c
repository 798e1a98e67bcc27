/*
 * sites.c: where the blocks were allocated (--trace-blocks), as memray
 * does it natively: the allocator hook records each block's site cheaply
 * (the raw return addresses of the innermost C frames outside libpython,
 * and the Python stack as frames already named), interned, so that a
 * block keeps a site number only; names of C functions are looked up for
 * the sites reported, at the end of the hunt.
 *
 * A site is named at its first allocation, while its code objects live:
 * in reinit mode they are gone when the report is made, after
 * Py_FinalizeEx. Everything here is in libc memory, behind one spin lock
 * (free-threaded builds allocate in many threads), and guarded against
 * the allocations that naming a frame may make (a non-ASCII file name's
 * UTF-8 form).
 */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <link.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "blocktable.h"
#include "probe.h"
#include "sites.h"
#include "xmalloc.h"

#define C_FRAMES        4       /* innermost C frames kept, outside libpython */
#define RAW_FRAMES      48      /* how deep the C stack is read for them */
#define PY_FRAMES_MAX   32      /* kept per site */
#define PY_WALK_MAX     128     /* read, for frames of the target's */
#define TARGET_FRAMES_BEYOND 3  /* kept beyond the innermost ones */

/* A named Python frame. */
struct frame {
    const void *code, *filename;    /* what identifies it (with first, addr) */
    int         first, addr;
    char       *where;              /* "file:line" */
    int         kind;               /* frame_kind(), -1: not known yet */
};

struct site {
    uint64_t    hash;
    int         nc, npy;
    uint32_t    ext;                /* the extension being initialized */
    uintptr_t   c[C_FRAMES];
    uint32_t    py[PY_FRAMES_MAX];  /* frame numbers */
};

/* Objects whose code is CPython's or refhunt's, not the target's: the
 * loaded ranges of libpython (the worker itself when it is linked in),
 * the worker and libc. */
struct range {
    uintptr_t   lo, hi;
};

static struct {
    atomic_bool     lock;
    int             py_frames;      /* 0: not tracing */
    struct frame   *frames;
    uint32_t        nframes, frames_cap;
    uint32_t       *frame_index;    /* open addressing: frame number + 1 */
    uint32_t        frame_index_cap;
    struct site    *sites;          /* sites[0] is "no site" */
    uint32_t        nsites, sites_cap;
    uint32_t       *site_index;
    uint32_t        site_index_cap;
    struct range    ours[16];
    int             nours;
    struct range    eval;           /* _PyEval_EvalFrameDefault */
    char           *stdlib;         /* the standard library's directory/ */
    struct ext     *exts;           /* exts[0] is "none" */
    uint32_t        nexts;
} S;

static _Thread_local int capturing;

/* Extension modules being initialized in this thread, innermost last:
 * their numbers (sites_watch_extensions). Deeper than EXT_DEPTH, the
 * innermost kept is named. */
#define EXT_DEPTH       16

struct ext {
    char       *name, *origin;      /* spec.name, spec.origin */
    char       *text;               /* its line in the report, once named */
};

static _Thread_local uint32_t ext_stack[EXT_DEPTH];
static _Thread_local int ext_depth;

/* The types of live objects, 3.13+ (probe.c's reference tracer): a type
 * object's address and tp_name to its number, numbers to names. A type
 * that is destroyed is forgotten, as its address may be another type's
 * next. Behind a lock of its own: the tracer runs on every object. */
struct type_slot {
    const void *type, *tp_name;     /* type NULL: an empty slot */
    uint32_t    number;             /* 1-based index into names */
};

static struct {
    atomic_bool         lock;
    struct type_slot   *slot;
    uint32_t            cap, used;
    char              **names;
    uint32_t            nnames;
} T;

static void
spin_lock(atomic_bool *l)
{
    while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
        sched_yield();
    }
}

static void
spin_unlock(atomic_bool *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

static void
lock(void)
{
    spin_lock(&S.lock);
}

static void
unlock(void)
{
    spin_unlock(&S.lock);
}

static char *
copy_of(const char *s, size_t n)
{
    char *c = xmalloc(n + 1);

    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
    return h;
}

/* ---- the objects that are not the target's */

struct find_object {
    uintptr_t       addr;
    struct range   *out;
    int             found;
};

static int
object_range(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find_object *f = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0, a;
    int i;

    (void)size;
    for (i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_LOAD) {
            continue;
        }
        a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        lo = a < lo ? a : lo;
        a += info->dlpi_phdr[i].p_memsz;
        hi = a > hi ? a : hi;
    }
    if (f->addr >= lo && f->addr < hi) {
        f->out->lo = lo;
        f->out->hi = hi;
        f->found = 1;
        return 1;
    }
    return 0;
}

static void
add_ours(const void *addr)
{
    struct find_object f = { (uintptr_t)addr, &S.ours[S.nours], 0 };

    if (S.nours < (int)(sizeof S.ours / sizeof S.ours[0])) {
        dl_iterate_phdr(object_range, &f);
        S.nours += f.found;
    }
}

static int
is_ours(uintptr_t a)
{
    int i;

    for (i = 0; i < S.nours; i++) {
        if (a >= S.ours[i].lo && a < S.ours[i].hi) {
            return 1;
        }
    }
    return 0;
}

/* The code of the evaluation loop: C frames above it are its callers,
 * not the allocation's, so the walk stops there. */
static void
eval_range(void)
{
    Dl_info info;
    void *found = NULL;
    const ElfW(Sym) *sym;

    if (dladdr1((void *)_PyEval_EvalFrameDefault, &info, &found,
        RTLD_DL_SYMENT) != 0 && (sym = found) != NULL) {
        S.eval.lo = (uintptr_t)info.dli_saddr;
        S.eval.hi = S.eval.lo + sym->st_size;
    }
}

static _Unwind_Reason_Code
count_frame(struct _Unwind_Context *ctx, void *arg)
{
    (void)ctx;
    ++*(int *)arg;
    return _URC_NO_REASON;
}

/* The C frames of an allocation outside CPython, innermost first, up to
 * the evaluation loop. */
struct c_walk {
    struct site    *s;
    int             depth;
};

static _Unwind_Reason_Code
c_frame(struct _Unwind_Context *ctx, void *arg)
{
    struct c_walk *w = arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);

    if ((ip >= S.eval.lo && ip < S.eval.hi) || ++w->depth > RAW_FRAMES ||
        w->s->nc == C_FRAMES) {
        return _URC_END_OF_STACK;
    }
    if (ip != 0 && !is_ours(ip)) {
        w->s->c[w->s->nc++] = ip;
    }
    return _URC_NO_REASON;
}

void
sites_start(int py_frames)
{
    int n = 0;

    if (S.py_frames != 0) {
        return;
    }
    S.py_frames = py_frames < PY_FRAMES_MAX ? py_frames : PY_FRAMES_MAX;
    add_ours((const void *)Py_Initialize);
    add_ours((const void *)sites_start);
    add_ours((const void *)strlen);
    /* the C library itself (under ASan strlen is the sanitizer's): the
     * process's start and exit frames are no extension's */
    add_ours((const void *)gnu_get_libc_version);
    eval_range();
    _Unwind_Backtrace(count_frame, &n);     /* loads the unwinder now */
    S.sites_cap = 1024;
    S.sites = xcalloc(S.sites_cap, sizeof *S.sites);
    S.nsites = 1;
    S.exts = xcalloc(1, sizeof *S.exts);
    S.nexts = 1;
}

int
sites_tracing(void)
{
    return S.py_frames != 0;
}

/* ---- the types of objects */

static struct type_slot *
type_slot(const void *type)
{
    uint32_t i = (uint32_t)mix(0, (uintptr_t)type) & (T.cap - 1);

    while (T.slot[i].type != NULL && T.slot[i].type != type) {
        i = (i + 1) & (T.cap - 1);
    }
    return &T.slot[i];
}

/* A name's number; names are few (one a type), looked up on a miss only. */
static uint32_t
name_number(const char *name)
{
    uint32_t i;

    for (i = 0; i < T.nnames; i++) {
        if (strcmp(T.names[i], name) == 0) {
            return i + 1;
        }
    }
    T.names = xreallocarray(T.names, T.nnames + 1, sizeof *T.names);
    T.names[T.nnames++] = xstrdup(name);
    return T.nnames;
}

uint32_t
sites_type(const void *type, const char *tp_name)
{
    struct type_slot *slot;
    uint32_t number, k;

    spin_lock(&T.lock);
    if (2 * (T.used + 1) > T.cap) {
        struct type_slot *old = T.slot;
        uint32_t old_cap = T.cap;

        T.cap = T.cap == 0 ? 1024 : 2 * T.cap;
        T.slot = xcalloc(T.cap, sizeof *T.slot);
        for (k = 0; k < old_cap; k++) {
            if (old[k].type != NULL) {
                *type_slot(old[k].type) = old[k];
            }
        }
        free(old);
    }
    slot = type_slot(type);
    if (slot->type == NULL || slot->tp_name != tp_name) {
        T.used += slot->type == NULL;
        slot->type = type;
        slot->tp_name = tp_name;
        slot->number = name_number(tp_name != NULL ? tp_name : "?");
    }
    number = slot->number;
    spin_unlock(&T.lock);
    return number;
}

void
sites_forget_type(const void *type)
{
    struct type_slot *slot;

    spin_lock(&T.lock);
    if (T.cap > 0 && (slot = type_slot(type))->type != NULL) {
        slot->tp_name = NULL;       /* named anew when seen next */
    }
    spin_unlock(&T.lock);
}

/* ---- naming Python frames */

static int
library_file(const char *file)
{
    size_t n = S.stdlib != NULL ? strlen(S.stdlib) : 0;

    if (strncmp(file, "<frozen ", 8) == 0) {
        return 1;
    }
    return n > 0 && strncmp(file, S.stdlib, n) == 0 &&
        strstr(file + n, "-packages/") == NULL;
}

/* An installed package's file: under a site-packages or dist-packages
 * directory. */
static const char *
packages_file(const char *file)
{
    return strstr(file, "-packages/");
}

/* "unittest" for .../lib/python3.11/unittest/case.py, "runpy" for
 * runpy.py, "importlib._bootstrap" for <frozen importlib._bootstrap>,
 * "_pytest" for .../dist-packages/_pytest/runner.py. */
static char *
library_name(const char *file)
{
    const char *packages;
    size_t n;

    if (strncmp(file, "<frozen ", 8) == 0) {
        return copy_of(file + 8, strcspn(file + 8, ">"));
    }
    if (!library_file(file) && (packages = packages_file(file)) != NULL) {
        file = packages + strlen("-packages/");
    } else {
        file += strlen(S.stdlib);
    }
    n = strcspn(file, "/");
    if (file[n] == '\0' && n > 3 && strcmp(file + n - 3, ".py") == 0) {
        n -= 3;
    }
    return copy_of(file, n);
}

/* The number of a frame, named on first sight; UINT32_MAX if it has no
 * name. Called with the lock held. */
static uint32_t
frame_number(const struct py_frame *pf)
{
    struct frame *f;
    const void *filename;
    const char *file;
    uint64_t h;
    uint32_t i, k, mask;
    int first, line;

    filename = probe_frame_identity(pf, &first);
    h = mix(mix(mix((uintptr_t)pf->code, (uintptr_t)filename),
        (uint64_t)first), (uint64_t)pf->addr);
    if (2 * (S.nframes + 1) > S.frame_index_cap) {
        uint32_t cap = S.frame_index_cap == 0 ? 4096 : 2 * S.frame_index_cap;
        uint32_t *index = xcalloc(cap, sizeof *index);

        for (k = 0; k < S.nframes; k++) {
            f = &S.frames[k];
            i = (uint32_t)mix(mix(mix((uintptr_t)f->code,
                (uintptr_t)f->filename), (uint64_t)f->first),
                (uint64_t)f->addr) & (cap - 1);
            while (index[i] != 0) {
                i = (i + 1) & (cap - 1);
            }
            index[i] = k + 1;
        }
        free(S.frame_index);
        S.frame_index = index;
        S.frame_index_cap = cap;
    }
    mask = S.frame_index_cap - 1;
    for (i = (uint32_t)h & mask; S.frame_index[i] != 0; i = (i + 1) & mask) {
        f = &S.frames[S.frame_index[i] - 1];
        if (f->code == pf->code && f->filename == filename &&
            f->first == first && f->addr == pf->addr) {
            return S.frame_index[i] - 1;
        }
    }
    if ((file = probe_frame_where(pf, &line)) == NULL) {
        return UINT32_MAX;
    }
    if (S.nframes == S.frames_cap) {
        S.frames_cap = S.frames_cap == 0 ? 4096 : 2 * S.frames_cap;
        S.frames = xreallocarray(S.frames, S.frames_cap, sizeof *S.frames);
    }
    f = &S.frames[S.nframes];
    f->code = pf->code;
    f->filename = filename;
    f->first = first;
    f->addr = pf->addr;
    f->where = xasprintf("%s:%d", file, line);
    f->kind = -1;
    S.frame_index[i] = ++S.nframes;
    return S.nframes - 1;
}

/* The file of a "file:line". */
static char *
frame_file(const struct frame *f)
{
    return copy_of(f->where, (size_t)(strrchr(f->where, ':') - f->where));
}

/* 1: refhunt's own frame (how it runs the target), never shown; 2: the
 * standard library's; 3: an installed package's (site-packages,
 * dist-packages); 0: the target's. Known for good once the standard
 * library's place is. */
static int
frame_kind(struct frame *f)
{
    char *file;
    int kind;

    if (f->kind >= 0) {
        return f->kind;
    }
    file = frame_file(f);
    kind = strncmp(file, "<refhunt ", 9) == 0 ? 1 : library_file(file) ? 2 :
        packages_file(file) != NULL ? 3 : 0;
    free(file);
    if (S.stdlib != NULL) {
        f->kind = kind;
    }
    return kind;
}

/* ---- interning sites */

static int
same_site(const struct site *a, const struct site *b)
{
    return a->hash == b->hash && a->nc == b->nc && a->npy == b->npy &&
        a->ext == b->ext &&
        memcmp(a->c, b->c, (size_t)a->nc * sizeof a->c[0]) == 0 &&
        memcmp(a->py, b->py, (size_t)a->npy * sizeof a->py[0]) == 0;
}

static uint32_t
intern_site(const struct site *s)
{
    uint32_t i, k, mask;

    if (2 * (S.nsites + 1) > S.site_index_cap) {
        uint32_t cap = S.site_index_cap == 0 ? 4096 : 2 * S.site_index_cap;
        uint32_t *index = xcalloc(cap, sizeof *index);

        for (k = 1; k < S.nsites; k++) {
            for (i = (uint32_t)S.sites[k].hash & (cap - 1); index[i] != 0;
                i = (i + 1) & (cap - 1)) {
                ;
            }
            index[i] = k;
        }
        free(S.site_index);
        S.site_index = index;
        S.site_index_cap = cap;
    }
    mask = S.site_index_cap - 1;
    for (i = (uint32_t)s->hash & mask; S.site_index[i] != 0;
        i = (i + 1) & mask) {
        if (same_site(&S.sites[S.site_index[i]], s)) {
            return S.site_index[i];
        }
    }
    if (S.nsites == S.sites_cap) {
        S.sites_cap *= 2;
        S.sites = xreallocarray(S.sites, S.sites_cap, sizeof *S.sites);
    }
    if (S.nsites >= (1u << 31) - 1) {
        return 0;       /* more than a block can name */
    }
    S.sites[S.nsites] = *s;
    S.site_index[i] = S.nsites;
    return S.nsites++;
}

uint32_t
sites_capture(void)
{
    struct py_frame pf[PY_WALK_MAX];
    struct site s;
    struct c_walk walk = { &s, 0 };
    uint32_t id = 0, f;
    int i, npf, beyond;

    if (S.py_frames == 0 || capturing) {
        return 0;
    }
    capturing = 1;
    memset(&s, 0, sizeof s);
    if (ext_depth > 0) {
        s.ext = ext_stack[(ext_depth < EXT_DEPTH ? ext_depth : EXT_DEPTH) - 1];
    }
    _Unwind_Backtrace(c_frame, &walk);
    npf = probe_python_frames(pf, PY_WALK_MAX);
    lock();
    /* the innermost frames, and beyond them a few of the target's or an
     * installed package's: deep imports would hide which line of the
     * target made them */
    for (i = 0, beyond = 0; i < npf && s.npy < PY_FRAMES_MAX &&
        beyond < TARGET_FRAMES_BEYOND; i++) {
        f = frame_number(&pf[i]);
        if (f == UINT32_MAX) {
            continue;
        }
        if (s.npy < S.py_frames) {
            s.py[s.npy++] = f;
        } else if (frame_kind(&S.frames[f]) % 3 == 0) {    /* 0 or 3 */
            s.py[s.npy++] = f;
            beyond++;
        }
    }
    s.hash = mix((uint64_t)s.nc, s.ext);
    for (i = 0; i < s.nc; i++) {
        s.hash = mix(s.hash, s.c[i]);
    }
    for (i = 0; i < s.npy; i++) {
        s.hash = mix(s.hash, s.py[i]);
    }
    id = intern_site(&s);
    unlock();
    capturing = 0;
    return id;
}

void
sites_note_stdlib(void)
{
    PyObject *os, *file;
    const char *path, *slash;

    if (S.stdlib != NULL || S.py_frames == 0) {
        return;
    }
    os = PyDict_GetItemString(PyImport_GetModuleDict(), "os");
    file = os != NULL ? PyObject_GetAttrString(os, "__file__") : NULL;
    path = file != NULL ? PyUnicode_AsUTF8(file) : NULL;
    if (path != NULL && (slash = strrchr(path, '/')) != NULL) {
        S.stdlib = copy_of(path, (size_t)(slash - path) + 1);
    }
    PyErr_Clear();
    Py_XDECREF(file);
}

/* ---- extension modules being initialized
 *
 * A single-phase init function that ends in PyModule_Create, a tail call
 * once optimized (markupsafe's PyInit__speedups), leaves no frame of its
 * own on the C stack while the module is made; nor does a multi-phase
 * module while CPython runs its slots. So the two functions through which
 * the import machinery loads an extension, _imp.create_dynamic(spec) and
 * _imp.exec_dynamic(module), are replaced in each interpreter by C
 * functions (no Python frame more) that note the spec in this thread's
 * stack around the original call: every block allocated meanwhile is
 * made while initializing that extension, the innermost one if an init
 * imports another. Names are copied into libc memory, so a site keeps
 * them after its interpreter.
 */

/* The number of an extension, by its name and origin. */
static uint32_t
ext_number(const char *name, const char *origin)
{
    uint32_t i;

    lock();
    for (i = 1; i < S.nexts && (strcmp(S.exts[i].name, name) != 0 ||
        strcmp(S.exts[i].origin, origin) != 0); i++) {
        ;
    }
    if (i == S.nexts) {
        S.exts = xreallocarray(S.exts, (size_t)S.nexts + 1, sizeof *S.exts);
        S.exts[i].name = xstrdup(name);
        S.exts[i].origin = xstrdup(origin);
        S.exts[i].text = NULL;
        S.nexts++;
    }
    unlock();
    return i;
}

/* The extension a module spec names (of_module: the module itself, by
 * its __name__ and __file__, read from its dict as CPython does: looking
 * its __spec__ up as an attribute cost 3.9's subinterpreters a block
 * every other round, which --trace-blocks must not change); 0 if it
 * names none. */
static uint32_t
ext_of(PyObject *arg, int of_module)
{
    PyObject *name = NULL, *origin = NULL;
    const char *n, *o;
    uint32_t ext = 0;

    if (of_module) {
        if (PyModule_Check(arg)) {
            name = PyModule_GetNameObject(arg);
            origin = name != NULL ? PyModule_GetFilenameObject(arg) : NULL;
        }
    } else if ((name = PyObject_GetAttrString(arg, "name")) != NULL) {
        origin = PyObject_GetAttrString(arg, "origin");
    }
    if (name != NULL && origin != NULL &&
        PyUnicode_Check(name) && PyUnicode_Check(origin) &&
        (n = PyUnicode_AsUTF8(name)) != NULL &&
        (o = PyUnicode_AsUTF8(origin)) != NULL) {
        ext = ext_number(n, o);
    }
    PyErr_Clear();      /* none was pending: the import machinery calls */
    Py_XDECREF(origin);
    Py_XDECREF(name);
    return ext;
}

/* The original function (self), called while its extension is noted. */
static PyObject *
initializing(PyObject *original, PyObject *const *args, Py_ssize_t nargs,
    PyObject *kwnames, int of_module)
{
    uint32_t ext = PyVectorcall_NARGS(nargs) > 0 ? ext_of(args[0], of_module) :
        0;
    PyObject *result;

    if (ext_depth < EXT_DEPTH) {
        ext_stack[ext_depth] = ext;
    }
    ext_depth++;
    result = PyObject_Vectorcall(original, args, (size_t)nargs, kwnames);
    ext_depth--;
    return result;
}

static PyObject *
create_dynamic(PyObject *original, PyObject *const *args, Py_ssize_t nargs,
    PyObject *kwnames)
{
    return initializing(original, args, nargs, kwnames, 0);
}

static PyObject *
exec_dynamic(PyObject *original, PyObject *const *args, Py_ssize_t nargs,
    PyObject *kwnames)
{
    return initializing(original, args, nargs, kwnames, 1);
}

static PyMethodDef create_dynamic_def = {
    "create_dynamic", (PyCFunction)(void (*)(void))create_dynamic,
    METH_FASTCALL | METH_KEYWORDS, NULL,
};

static PyMethodDef exec_dynamic_def = {
    "exec_dynamic", (PyCFunction)(void (*)(void))exec_dynamic,
    METH_FASTCALL | METH_KEYWORDS, NULL,
};

static void
watch(PyObject *imp, PyMethodDef *def)
{
    PyObject *original = PyObject_GetAttrString(imp, def->ml_name), *f;

    if (original != NULL && !(PyCFunction_Check(original) &&
        PyCFunction_GetFunction(original) == def->ml_meth) &&
        (f = PyCFunction_New(def, original)) != NULL) {
        if (PyObject_SetAttrString(imp, def->ml_name, f) < 0) {
            PyErr_Clear();
        }
        Py_DECREF(f);
    }
    PyErr_Clear();
    Py_XDECREF(original);
}

void
sites_watch_extensions(void)
{
    PyObject *imp;

    if (S.py_frames == 0) {
        return;
    }
    imp = PyDict_GetItemString(PyImport_GetModuleDict(), "_imp");
    if (imp != NULL) {
        watch(imp, &create_dynamic_def);
        watch(imp, &exec_dynamic_def);
    }
}

/* ---- the report */

/* The live blocks of each site after a round, as tracemalloc's snapshots
 * are compared: a site whose blocks grew kept some (a block a free list
 * recycles keeps the site that first allocated it, so the blocks a round
 * allocated would miss what it took from free lists). */
struct snapshot {
    int         round;
    uint32_t    nsites;
    int64_t    *count, *size;
};

static struct snapshot *snapshots;
static int nsnapshots;

static void
tally_block(uintptr_t p, struct block_info info, void *arg)
{
    struct snapshot *sn = arg;

    if (info.site == 0 || info.site >= sn->nsites ||
        probe_block_by_design(p, info)) {
        return;
    }
    sn->count[info.site]++;
    sn->size[info.site] += info.size;
}

void
sites_snapshot(int round)
{
    struct snapshot *sn;

    if (S.py_frames == 0) {
        return;
    }
    snapshots = xreallocarray(snapshots, (size_t)nsnapshots + 1,
        sizeof *snapshots);
    sn = &snapshots[nsnapshots++];
    sn->round = round;
    lock();
    sn->nsites = S.nsites;
    unlock();
    sn->count = xcalloc(sn->nsites, sizeof *sn->count);
    sn->size = xcalloc(sn->nsites, sizeof *sn->size);
    blocktable_each(tally_block, sn);
}

void
sites_forget_snapshots(void)
{
    int r;

    for (r = 0; r < nsnapshots; r++) {
        free(snapshots[r].count);
        free(snapshots[r].size);
    }
    free(snapshots);
    snapshots = NULL;
    nsnapshots = 0;
}

/* What site k grew by from snapshot i - 1 to i. */
static int64_t
grew(int i, uint32_t k, int size)
{
    const struct snapshot *a = &snapshots[i - 1], *b = &snapshots[i];
    int64_t before = k < a->nsites ? (size ? a->size : a->count)[k] : 0,
        after = k < b->nsites ? (size ? b->size : b->count)[k] : 0;

    return after - before;
}

/* Whether a site is the target's: it has a C frame outside CPython, was
 * made while an extension outside the standard library was initialized,
 * or has a Python frame of the target's own or of an installed package's
 * (which may be what the target runs, -m somepkg). What CPython does by itself, with no
 * target (an empty round's residue), has neither. */
static int
targets_site(const struct site *s)
{
    int i;

    if (s->nc > 0 || (s->ext != 0 && !library_file(S.exts[s->ext].origin))) {
        return 1;
    }
    for (i = 0; i < s->npy; i++) {
        if (frame_kind(&S.frames[s->py[i]]) % 3 == 0) {    /* 0 or 3 */
            return 1;
        }
    }
    return 0;
}

/* What addr2line says of offset in file: "function at file:line", or NULL
 * without debug information. */
static char *
addr2line(const char *file, uintptr_t offset)
{
    char *cmd, *q, func[512], where[1024], *out = NULL;
    const char *p;
    FILE *f;
    size_t n = 0;

    q = xcalloc(4 * strlen(file) + 3, 1);
    q[n++] = '\'';
    for (p = file; *p != '\0'; p++) {
        if (*p == '\'') {
            memcpy(q + n, "'\\''", 4);
            n += 4;
        } else {
            q[n++] = *p;
        }
    }
    q[n] = '\'';
    cmd = xasprintf("addr2line -f -C -e %s 0x%" PRIxPTR " 2>/dev/null", q,
        offset);
    free(q);
    f = popen(cmd, "r");
    free(cmd);
    if (f == NULL) {
        return NULL;
    }
    if (fgets(func, sizeof func, f) != NULL &&
        fgets(where, sizeof where, f) != NULL) {
        func[strcspn(func, "\n")] = '\0';
        where[strcspn(where, " \n")] = '\0';
        if (strcmp(func, "??") != 0 && strncmp(where, "??", 2) != 0) {
            out = xasprintf("%s at %s", func, where);
        }
    }
    pclose(f);
    return out;
}

/* A C frame, named: "function at file.c:40 (object)", "symbol+0x1c
 * (object)" or "object+0x1c"; each address named once. */
static char *c_frame_uncached(uintptr_t);

static char *
c_frame_name(uintptr_t addr)
{
    static uintptr_t *addrs;
    static char **names;
    static size_t n;
    size_t i;

    for (i = 0; i < n; i++) {
        if (addrs[i] == addr) {
            return xstrdup(names[i]);
        }
    }
    addrs = xreallocarray(addrs, n + 1, sizeof *addrs);
    names = xreallocarray(names, n + 1, sizeof *names);
    addrs[n] = addr;
    names[n] = c_frame_uncached(addr);
    return xstrdup(names[n++]);
}

static char *
c_frame_uncached(uintptr_t addr)
{
    Dl_info info;
    char *where, *name;

    if (dladdr((void *)addr, &info) == 0 || info.dli_fname == NULL) {
        return xasprintf("0x%" PRIxPTR, addr);
    }
    /* the call, not the instruction after it */
    where = addr2line(info.dli_fname, addr - 1 - (uintptr_t)info.dli_fbase);
    if (where != NULL) {
        name = xasprintf("%s (%s)", where, info.dli_fname);
        free(where);
    } else if (info.dli_sname != NULL) {
        name = xasprintf("%s+0x%" PRIxPTR " (%s)", info.dli_sname,
            addr - (uintptr_t)info.dli_saddr, info.dli_fname);
    } else {
        name = xasprintf("%s+0x%" PRIxPTR, info.dli_fname,
            addr - (uintptr_t)info.dli_fbase);
    }
    return name;
}

/* An extension being initialized, as a line of the report:
 * "PyInit_x, initializing pkg.x (origin)", its init function looked up in
 * the loaded object (CPython never unloads one), or without it where its
 * symbol is not there (stripped, or a non-ASCII name's PyInitU_). */
static const char *
ext_text(struct ext *e)
{
    const char *last = strrchr(e->name, '.');
    struct link_map *map = NULL;
    void *handle, *init = NULL;
    char *symbol;
    Dl_info info;

    if (e->text != NULL) {
        return e->text;
    }
    symbol = xasprintf("PyInit_%s", last != NULL ? last + 1 : e->name);
    handle = dlopen(e->origin, RTLD_LAZY | RTLD_NOLOAD);
    if (handle != NULL && (init = dlsym(handle, symbol)) != NULL &&
        /* that object's own, not one of its dependencies' */
        (dladdr(init, &info) == 0 || info.dli_sname == NULL ||
        strcmp(info.dli_sname, symbol) != 0 ||
        dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 ||
        strcmp(map->l_name, info.dli_fname) != 0)) {
        init = NULL;
    }
    if (handle != NULL) {
        dlclose(handle);    /* the reference RTLD_NOLOAD took */
    }
    e->text = xasprintf("%s%sinitializing %s (%s)", init != NULL ? symbol :
        "", init != NULL ? ", " : "", e->name, e->origin);
    free(symbol);
    return e->text;
}

static void
append(char **text, const char *line)
{
    char *more = xasprintf("%s%s%s", *text, **text != '\0' ? "\n" : "",
        line);

    free(*text);
    *text = more;
}

/* Whether name is one of a list "a, b, c", not a part of one
 * ("importlib._bootstrap" of "importlib._bootstrap_external"). */
static int
listed(const char *names, const char *name)
{
    size_t n = strlen(name);
    const char *p;

    for (p = names; (p = strstr(p, name)) != NULL; p += n) {
        if ((p == names || p[-1] == ' ') && (p[n] == '\0' || p[n] == ',')) {
            return 1;
        }
    }
    return 0;
}

/* A site as lines, innermost first: its C frames (or, with none, the
 * extension being initialized), then the target's Python frames and
 * those of installed packages that the target called, then the rest
 * summed up in one line: the standard library's and those of packages
 * that called the target (pytest's). With no frame of the target's, the
 * packages' are all shown; with neither, the standard library's. */
static char *
site_text(const struct site *s)
{
    char *text = xstrdup(""), *line, *names = xstrdup(""), *name;
    int i, kind, first, packages, rest = 0;

    for (i = 0; i < s->nc; i++) {
        line = c_frame_name(s->c[i]);
        append(&text, line);
        free(line);
    }
    /* made by CPython for an extension being initialized (its init
     * function tail-called PyModule_Create, or CPython ran its slots) */
    if (s->nc == 0 && s->ext != 0) {
        append(&text, ext_text(&S.exts[s->ext]));
    }
    /* the target's innermost frame; whether an installed package has one */
    for (i = 0, first = -1, packages = 0; i < s->npy; i++) {
        kind = frame_kind(&S.frames[s->py[i]]);
        first = first < 0 && kind == 0 ? i : first;
        packages |= kind == 3;
    }
    for (i = 0; i < s->npy; i++) {
        struct frame *f = &S.frames[s->py[i]];

        kind = frame_kind(f);
        if (kind == 0 ||
            /* a package the target called, or with no frame of the
             * target's (-m somepkg); one that called the target (pytest,
             * pluggy) is summed up */
            (kind == 3 && (first < 0 || i < first)) ||
            (kind == 2 && first < 0 && !packages)) {
            append(&text, f->where);
        } else if (kind == 2 || kind == 3) {
            char *file = frame_file(f);

            rest++;
            name = library_name(file);
            free(file);
            if (!listed(names, name)) {
                line = xasprintf("%s%s%s", names, *names ? ", " : "", name);
                free(names);
                names = line;
            }
            free(name);
        }
    }
    if (rest > 0) {
        line = xasprintf("(+%d in %s)", rest, names);
        append(&text, line);
        free(line);
    }
    free(names);
    return text;
}

/* Sites that print the same (frames on one line, calls from one
 * function) are one site in the report. */
struct group {
    char       *text;
    int64_t     total;
    int64_t    *count, *size;       /* per round */
    int         made;               /* its index before sorting */
    int         c;                  /* names_c() */
};

/* 3.13+: how many live objects of a type a group's blocks hold, made in
 * a tracked round. */
struct type_count {
    int         group, round;       /* sorted group, tracked round index */
    uint32_t    type;
    int64_t     count;
};

struct type_tally {
    const int32_t  *group_of;       /* site -> sorted group, -1: none */
    uint32_t        nsites;
    int             nrounds;
    struct type_count *counts;
    size_t          n;
};

static void
tally_type(uintptr_t p, struct block_info info, void *arg)
{
    struct type_tally *t = arg;
    size_t i;
    int r, g;

    if (info.type == 0 || info.site >= t->nsites ||
        (g = t->group_of[info.site]) < 0) {
        return;
    }
    for (r = 0; r < t->nrounds && snapshots[r + 1].round != (int)info.round;
        r++) {
        ;
    }
    if (r == t->nrounds || probe_block_by_design(p, info)) {
        return;
    }
    for (i = 0; i < t->n; i++) {
        if (t->counts[i].group == g && t->counts[i].round == r &&
            t->counts[i].type == info.type) {
            t->counts[i].count++;
            return;
        }
    }
    t->counts = xreallocarray(t->counts, t->n + 1, sizeof *t->counts);
    t->counts[t->n++] = (struct type_count){ g, r, info.type, 1 };
}

static int
by_count(const void *a, const void *b)
{
    const struct type_count *x = a, *y = b;

    return x->count > y->count ? -1 : x->count < y->count ? 1 :
        x->type < y->type ? -1 : x->type > y->type;
}

/* Whether a site names C code outside CPython: a C frame, or (with none)
 * an extension being initialized, of an object outside the standard
 * library's directory (lib-dynload's modules are CPython's). Such sites
 * are listed first: what outlives an interpreter is held from C. */
static int
names_c(const struct site *s)
{
    Dl_info info;
    int i;

    if (s->nc == 0 && s->ext != 0) {
        return !library_file(S.exts[s->ext].origin);
    }
    for (i = 0; i < s->nc; i++) {
        if (dladdr((void *)s->c[i], &info) != 0 && info.dli_fname != NULL &&
            !library_file(info.dli_fname)) {
            return 1;
        }
    }
    return 0;
}

static int64_t *sort_total;
static char *sort_c;

static int
by_total(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, k = *(const uint32_t *)b;
    int64_t x = sort_total[i], y = sort_total[k];

    if (sort_c[i] != sort_c[k]) {
        return sort_c[k] - sort_c[i];
    }
    return x > y ? -1 : x < y ? 1 : 0;
}

static int
group_by_total(const void *a, const void *b)
{
    const struct group *x = a, *y = b;

    if ((x->total > 0) != (y->total > 0)) {
        return x->total > 0 ? -1 : 1;
    }
    if (x->c != y->c) {
        return y->c - x->c;
    }
    return x->total > y->total ? -1 : x->total < y->total ? 1 :
        strcmp(x->text, y->text);
}

void
sites_report(int top,
    void (*send)(int, int64_t, int64_t, const char *, void *),
    void (*send_type)(int, int64_t, const char *, void *), void *arg)
{
    struct group *groups;
    struct type_tally tally = { NULL, 0, 0, NULL, 0 };
    uint32_t *order, n = 0, k, nsites;
    int ngroups = 0, nrounds = nsnapshots - 1, g, r;
    int32_t *made_of, *group_of, *sorted_of;
    int64_t *total, d;
    size_t i;
    char *text, *c;

    if (nrounds < 1) {
        return;
    }
    nsites = snapshots[nsnapshots - 1].nsites;
    total = xcalloc(nsites, sizeof *total);
    c = xcalloc(nsites, sizeof *c);
    order = xcalloc(nsites, sizeof *order);
    for (k = 1; k < nsites; k++) {
        for (r = 1; r <= nrounds; r++) {
            d = grew(r, k, 0);
            total[k] += d > 0 ? d : 0;
        }
        if (total[k] > 0 && targets_site(&S.sites[k])) {
            c[k] = (char)names_c(&S.sites[k]);
            order[n++] = k;
        }
    }
    sort_total = total;
    sort_c = c;
    qsort(order, n, sizeof *order, by_total);
    /* named and merged: enough of the first (names_c(), then the
     * largest) that merging cannot bring one from further down into the
     * top */
    n = n < 4 * (uint32_t)top + 20 ? n : 4 * (uint32_t)top + 20;
    groups = xcalloc(n + 1, sizeof *groups);
    made_of = xcalloc(nsites, sizeof *made_of);
    for (k = 0; k < nsites; k++) {
        made_of[k] = -1;
    }
    for (k = 0; k < n; k++) {
        text = site_text(&S.sites[order[k]]);
        for (g = 0; g < ngroups && strcmp(groups[g].text, text) != 0; g++) {
            ;
        }
        made_of[order[k]] = g;
        if (g == ngroups) {
            groups[ngroups].made = ngroups;
            groups[ngroups].c = c[order[k]];
            groups[ngroups].text = text;
            groups[ngroups].count = xcalloc((size_t)nrounds, sizeof(int64_t));
            groups[ngroups++].size = xcalloc((size_t)nrounds, sizeof(int64_t));
        } else {
            free(text);
        }
        for (r = 0; r < nrounds; r++) {
            groups[g].count[r] += grew(r + 1, order[k], 0);
            groups[g].size[r] += grew(r + 1, order[k], 1);
        }
    }
    /* as the verdict's rule: a site that kept blocks in every tracked
     * round */
    for (g = 0; g < ngroups; g++) {
        groups[g].total = 0;
        for (r = 0; r < nrounds; r++) {
            groups[g].total += groups[g].count[r];
        }
        for (r = 0; r < nrounds; r++) {
            groups[g].total *= groups[g].count[r] > 0;
        }
    }
    qsort(groups, (size_t)ngroups, sizeof *groups, group_by_total);
    /* the types of the live objects in the reported sites' blocks, made
     * in a tracked round (3.13+: the reference tracer named them) */
    sorted_of = xcalloc((size_t)ngroups + 1, sizeof *sorted_of);
    for (g = 0; g < ngroups; g++) {
        sorted_of[groups[g].made] = g < top && groups[g].total > 0 ? g : -1;
    }
    group_of = xcalloc(nsites, sizeof *group_of);
    for (k = 0; k < nsites; k++) {
        group_of[k] = made_of[k] < 0 ? -1 : sorted_of[made_of[k]];
    }
    tally = (struct type_tally){ group_of, nsites, nrounds, NULL, 0 };
    if (T.nnames > 0) {
        blocktable_each(tally_type, &tally);
        qsort(tally.counts, tally.n, sizeof *tally.counts, by_count);
    }
    for (g = 0; g < ngroups; g++) {
        for (r = 0; g < top && groups[g].total > 0 && r < nrounds; r++) {
            send(snapshots[r + 1].round, groups[g].count[r],
                groups[g].size[r], groups[g].text, arg);
            for (i = 0; i < tally.n; i++) {
                if (tally.counts[i].group == g && tally.counts[i].round == r) {
                    send_type(snapshots[r + 1].round, tally.counts[i].count,
                        T.names[tally.counts[i].type - 1], arg);
                }
            }
        }
        free(groups[g].text);
        free(groups[g].count);
        free(groups[g].size);
    }
    free(groups);
    free(tally.counts);
    free(made_of);
    free(sorted_of);
    free(group_of);
    free(order);
    free(c);
    free(total);
    sites_forget_snapshots();
}
