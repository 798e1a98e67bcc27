/* result.c: the words of a result that every report uses. */
#include "result.h"

/* How the worker's CPython was built, as reports name it. */
const char *
python_build(const struct python_info *py)
{
    if (py->free_threaded) {
        return py->debug ? "free-threaded debug build" :
            "free-threaded release build";
    }
    return py->debug ? "debug build" : "release build";
}
