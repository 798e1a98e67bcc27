/* test_blocktable.c: the table of live blocks against a plain array. */
#include <stdint.h>
#include <stdlib.h>

#include "blocktable.h"
#include "check.h"

#define N 20000

static uintptr_t noted[N];
static int alive[N];

static void
count_round(uintptr_t p, struct block_info info, void *arg)
{
    int64_t *n = arg;

    (void)p;
    n[info.round % 2]++;
}

int
main(void)
{
    struct block_info info;
    int64_t rounds[2] = { 0, 0 }, expected = 0;
    int i;

    srand(1);
    for (i = 0; i < N; i++) {
        /* 16-byte aligned as the allocators' blocks, clustered */
        noted[i] = (uintptr_t)(0x7f0000000000u + 16u * (uintptr_t)i * 3u);
        blocktable_add(noted[i], (struct block_info){ (uint32_t)i, 0, 0, 0, 0 });
        alive[i] = 1;
    }
    CHECK(blocktable_live() == N);
    /* a pointer noted again is not counted twice */
    blocktable_add(noted[5], (struct block_info){ 7, 3, 1, 64, 0 });
    CHECK(blocktable_live() == N);
    CHECK(blocktable_remove(noted[5], &info) == 1);
    CHECK(info.round == 7 && info.site == 3 && info.object == 1 &&
        info.size == 64);
    alive[5] = 0;
    /* live objects: marked once, unmarked (a free list keeps the block),
     * forgotten with their block */
    CHECK(blocktable_mark(noted[6], 9, 6, 0) == 1 && blocktable_objects() == 1);
    CHECK(blocktable_mark(noted[6], 2, 6, 8) == 1 && blocktable_objects() == 1);
    CHECK(blocktable_mark(0x1000, 2, 5, 0) == 0 && blocktable_objects() == 1);
    CHECK(blocktable_remove(noted[6], &info) == 1 && info.site == 8);
    info.site = 0;
    blocktable_add(noted[6], info);
    blocktable_unmark(noted[6]);
    blocktable_unmark(noted[6]);
    CHECK(blocktable_objects() == 0 && blocktable_live() == N - 1);
    CHECK(blocktable_mark(noted[7], 3, 7, 0) == 1 && blocktable_objects() == 1);
    CHECK(blocktable_remove(noted[7], &info) == 1 && info.type == 3 &&
        info.round == 7 && info.site == 0 && blocktable_objects() == 0);
    blocktable_add(noted[7], info);     /* a failed realloc puts it back */
    CHECK(blocktable_objects() == 1);
    blocktable_add(noted[7], (struct block_info){ 7, 0, 0, 0, 0 });
    CHECK(blocktable_objects() == 0);
    /* a free of a block never noted changes nothing */
    CHECK(blocktable_remove(0x1000, &info) == 0);
    for (i = 0; i < N; i++) {
        if (alive[i] && rand() % 2 == 0) {
            CHECK(blocktable_remove(noted[i], &info) == 1);
            CHECK(info.round == (uint32_t)i);
            alive[i] = 0;
        }
    }
    for (i = 0; i < N; i++) {
        expected += alive[i];
        /* removed ones stay gone; live ones are all still found */
        CHECK(blocktable_remove(noted[i], &info) == alive[i]);
        if (alive[i]) {
            blocktable_add(noted[i], info);
        }
    }
    CHECK(blocktable_live() == expected);
    blocktable_each(count_round, rounds);
    CHECK(rounds[0] + rounds[1] == expected);
    return check_result("blocktable");
}
