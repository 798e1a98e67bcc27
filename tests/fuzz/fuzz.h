/* fuzz.h: what the fuzz targets share. */
#ifndef REFHUNT_FUZZ_H
#define REFHUNT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A property that must hold: abort() is the finding libFuzzer reports. */
#define REQUIRE(cond) do {                                              \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__,    \
                __LINE__, #cond);                                       \
            abort();                                                    \
        }                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#endif
