"""checks.py - counted checks for the Python tests that count each check
(test_fixtures.Harness counts cases): a failed check prints its name and
what was seen; done() prints the "kt: N passed, M failed" line that
tests/run_all.sh adds up and returns the exit status."""

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("  FAIL %s%s" % (name, ": " + detail if detail else ""))


def done():
    print("kt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
