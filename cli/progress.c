/* progress.c - see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report/escape.h"

#define PG_TICK_MS 200

static _Atomic int64_t g_done, g_total;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* stderr, g_drawn, g_stop */
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static pthread_t g_thread;
static bool g_running, g_stop, g_drawn;
static int g_pct;                 /* the largest percentage drawn: the line never goes back */
static struct timespec g_t0;

static double since_start(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g_t0.tv_sec) + (double)(t.tv_nsec - g_t0.tv_nsec) / 1e9;
}

/* "1.23 GB", "456 MB", "12 kB" (powers of 1000, like the rate). */
static void human(double b, char *buf, size_t cap)
{
    static const char *unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
    int u = 0;
    while (b >= 1000 && u < 5) b /= 1000, u++;
    snprintf(buf, cap, u && b < 10 ? "%.2f %s" : u && b < 100 ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

/* Under g_lock. */
static void draw(void)
{
    int64_t done = atomic_load(&g_done), total = atomic_load(&g_total);
    double t = since_start(), rate = t > 0 ? (double)done / t : 0;
    char d[32], tot[32], r[32], left[32] = "";
    human((double)done, d, sizeof d);
    human((double)total, tot, sizeof tot);
    human(rate, r, sizeof r);
    if (rate > 0 && total > done) {
        double s = (double)(total - done) / rate;
        if (s < 60) snprintf(left, sizeof left, ", %.0f s left", s);
        else if (s < 3600) snprintf(left, sizeof left, ", %.0f min left", s / 60);
        else snprintf(left, sizeof left, ", %.1f h left", s / 3600);
    }
    /* The work can grow (a partition read again after a spill): the share
     * done then stands still until the reading catches up, rather than
     * going back. */
    int pct = total > 0 ? (int)(done * 100 / total) : 0;
    if (pct > 100) pct = 100;
    if (pct < g_pct) pct = g_pct;
    g_pct = pct;
    fprintf(stderr, "\r\033[Kkaudit: %s of %s (%d%%), %s/s%s", d, tot, pct, r, left);
    fflush(stderr);
    g_drawn = true;
}

static void erase(void)
{
    if (g_drawn) fputs("\r\033[K", stderr);
    g_drawn = false;
}

static void *ticker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    while (!g_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PG_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g_wake, &g_lock, &until);
        /* Runs shorter than a second never draw: nothing to wait for. */
        if (!g_stop && since_start() >= 1.0) draw();
    }
    erase();
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

void pg_start(int64_t total, bool show)
{
    atomic_store(&g_done, 0);
    atomic_store(&g_total, total);
    clock_gettime(CLOCK_MONOTONIC, &g_t0);
    g_stop = false;
    g_pct = 0;
    if (show && pthread_create(&g_thread, NULL, ticker, NULL) == 0) g_running = true;
}

void pg_add(int64_t bytes) { atomic_fetch_add_explicit(&g_done, bytes, memory_order_relaxed); }

void pg_add_total(int64_t bytes) { atomic_fetch_add_explicit(&g_total, bytes, memory_order_relaxed); }

void pg_say(bool quiet, const char *fmt, ...)
{
    if (quiet) return;
    /* The line quotes paths and names from the data: formatted first, then
     * written in report/escape.h's text form, so none drives the terminal. */
    char small[512], *line = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) small[0] = '\0';
    if (n >= (int)sizeof small && (line = malloc((size_t)n + 1))) {
        va_start(ap, fmt);
        vsnprintf(line, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (!line) line = small; /* out of memory: the line cut short */
    pthread_mutex_lock(&g_lock);
    erase();
    es_fputs(line, stderr);
    fputc('\n', stderr);
    pthread_mutex_unlock(&g_lock);
    if (line != small) free(line);
}

void pg_stop(void)
{
    if (!g_running) return;
    pthread_mutex_lock(&g_lock);
    g_stop = true;
    pthread_cond_signal(&g_wake);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    g_running = false;
}
