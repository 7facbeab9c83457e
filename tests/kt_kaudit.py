"""kt_kaudit.py - running kaudit from the Python suites that read its JSON
report (test_groups.py, test_replicas.py): the binary ($KAUDIT, relative to
the repository root), a run that fails loudly on a signal or a sanitizer
report, and the report checked against docs/report.schema.json (a missing
jsonschema module is a failed check, never a pass)."""
import json
import os
import subprocess
import sys

from checks import check

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_PATH = os.path.join(REPO, "docs", "report.schema.json")
TIMEOUT = 300

try:
    import jsonschema
    JSONSCHEMA_PROBLEM = None
except ImportError as _err:
    jsonschema = None
    JSONSCHEMA_PROBLEM = ("no jsonschema module for %s (%s): install Debian's python3-jsonschema "
                          "(sh tests/deps.sh test)" % (sys.executable, _err))


class Failed(Exception):
    """A step the rest of a case depends on failed (said, then counted)."""


def short(value, limit=300):
    try:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def kaudit_path():
    exe = os.environ.get("KAUDIT", "./kaudit")
    return exe if os.path.isabs(exe) else os.path.normpath(os.path.join(REPO, exe))


def run(args):
    """Run kaudit from the repository root; (exit status, stdout bytes, stderr text)."""
    exe = kaudit_path()
    if not os.access(exe, os.X_OK):
        raise Failed("no kaudit binary at %s (run make -s, or set KAUDIT)" % exe)
    try:
        p = subprocess.run([exe] + args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failed("kaudit %s: no answer within %d s" % (" ".join(args), TIMEOUT))
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or "Sanitizer" in err or "runtime error" in err:
        raise Failed("kaudit %s: killed by signal %d or a sanitizer report: %s"
                     % (" ".join(args), -p.returncode if p.returncode < 0 else 0, short(err)))
    return p.returncode, p.stdout, err


_schema = None


def check_schema(name, report):
    """One check: the report matches docs/report.schema.json."""
    global _schema
    if jsonschema is None:
        check("%s: schema" % name, False, JSONSCHEMA_PROBLEM)
        return
    if _schema is None:
        try:
            with open(SCHEMA_PATH) as f:
                _schema = json.load(f)
        except (OSError, ValueError) as err:
            check("%s: schema" % name, False, "cannot read %s: %s" % (SCHEMA_PATH, err))
            return
    cls = jsonschema.validators.validator_for(_schema)
    errors = sorted(cls(_schema).iter_errors(report), key=lambda e: list(e.absolute_path))
    check("%s: report matches docs/report.schema.json" % name, not errors,
          "; ".join("at /%s: %s" % ("/".join(str(p) for p in e.absolute_path), short(e.message, 200))
                    for e in errors[:3]))


def explanation(report, finding):
    """A finding's whole explanation (docs/report.md, "Explanations"): its
    own `explanation` where it has one, else the report's
    explanations[explanation_key], then a space and its explanation_detail;
    None when neither names words."""
    if isinstance(finding.get("explanation"), str):
        return finding["explanation"]
    shared = (report.get("explanations") or {}).get(finding.get("explanation_key"))
    if not isinstance(shared, str):
        return None
    detail = finding.get("explanation_detail")
    return shared + (" " + detail if isinstance(detail, str) else "")
