"""html_rows.py - the rows of an HTML report's findings table (report/html.c), read
from a parsed page (test_html.Node trees), for tests/test_html.py and
tests/test_report_scale.py.

The table (<table id="findings-table">) has a row per finding or per run:
  * a finding's own row: <tr id="F..." data-type data-severity data-topic
    data-partition> holding <a href="#F...">;
  * a run's row: <tr class="run" data-type ... data-count="N">, whose
    <details> holds either a row per finding (<table class="members">:
    <tr id="F..."> holding <a href="#F...">), or, for a long run, the same
    rows as text in data-z: base64 of zlib-deflated lines "id TAB offset TAB
    message [TAB baseline]", which the page's script builds when the run is
    opened or a link names one of them.
"""
import base64
import zlib


class Row(object):
    def __init__(self, ident, attrs, where, linked, offset=None, message=None):
        self.id = ident
        self.attrs = attrs          # data-type, data-severity, data-topic, data-partition (its run's for a member)
        self.where = where          # "row", "member" or "deflated"
        self.linked = linked        # holds <a href="#id"> (a deflated row gets one when built)
        self.offset = offset        # deflated rows only
        self.message = message


ATTRS = ("data-type", "data-severity", "data-topic", "data-partition")


def inflate(value):
    """The lines a run keeps in data-z; raises ValueError when they cannot be read."""
    try:
        text = zlib.decompress(base64.b64decode(value.strip(), validate=True)).decode("utf-8")
    except (ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError("data-z cannot be inflated: %s" % exc)
    return [line for line in text.split("\n") if line]


def main_rows(table):
    """The rows of the table's own tbody (not of the runs' member tables)."""
    out = []
    for body in table.children:
        if isinstance(body, str) or body.tag != "tbody":
            continue
        out.extend(c for c in body.children if not isinstance(c, str) and c.tag == "tr")
    return out


def rows_of(table):
    """(list of Row in table order, list of problems) for one findings table."""
    rows, problems = [], []

    def linked(node, ident):
        return any(n.tag == "a" and n.get("href") == "#" + ident for n in node.iter())

    for tr in main_rows(table):
        attrs = {k: tr.get(k) for k in ATTRS}
        if "run" not in tr.classes():
            ident = tr.get("id")
            if not ident:
                problems.append("a findings-table row with neither an id nor class=\"run\"")
                continue
            rows.append(Row(ident, attrs, "row", linked(tr, ident)))
            continue
        members = []
        for det in (n for n in tr.iter() if n.tag == "details"):
            if det.get("data-z") is not None:
                try:
                    for line in inflate(det.get("data-z")):
                        cells = line.split("\t")
                        if len(cells) < 3:
                            problems.append("a deflated row of %s has %d cells: %r" % (attrs, len(cells), line[:80]))
                            continue
                        members.append(Row(cells[0], attrs, "deflated", True, cells[1], cells[2]))
                except ValueError as exc:
                    problems.append("run %s: %s" % (attrs, exc))
            for mt in (n for n in det.iter() if n.tag == "table" and "members" in n.classes()):
                for m in (n for n in mt.iter() if n.tag == "tr"):
                    members.append(Row(m.get("id"), attrs, "member", linked(m, m.get("id") or "")))
        count = tr.get("data-count")
        if count is None or not count.isdigit() or int(count) != len(members):
            problems.append("run %s: data-count %s, %d rows in it" % (attrs, count, len(members)))
        rows.extend(members)
    return rows, problems


def deflated_ids(tree):
    """Every id a run keeps in data-z: the page's script makes each a row when asked."""
    out = set()
    for det in (n for n in tree.iter() if n.tag == "details" and n.get("data-z") is not None):
        try:
            out.update(line.split("\t", 1)[0] for line in inflate(det.get("data-z")))
        except ValueError:
            pass
    return out
