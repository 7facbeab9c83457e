/*
 * peakrss.c - run a command and say how much memory it took at most:
 * `peakrss FILE CMD ARGS...` runs CMD, writes its peak resident set size
 * in KiB (wait4's ru_maxrss) to FILE, and exits with CMD's status (128 +
 * the signal when a signal ended it).
 *
 * For tests/test_memory.py: a child's ru_maxrss counts the memory of the
 * process it was forked from until it execs, so a command started straight
 * from Python would be charged with Python's. This program is small.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: peakrss FILE CMD [ARGS...]\n");
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 125;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return perror("wait4"), 125;
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) return perror(argv[1]), 125;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
