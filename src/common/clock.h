/* clock.h: seconds on the monotonic clock, for timeouts and durations. */
#ifndef REFHUNT_CLOCK_H
#define REFHUNT_CLOCK_H

double  clock_now(void);

#endif
