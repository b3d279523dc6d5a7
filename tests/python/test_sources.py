"""Sources stay inside the repository: no file cites research notes a user of the repository does not have,
and every `docs/sources.md#...` cited in the tree (and every `sources.md#...` link in docs/) names an anchor
that docs/sources.md defines."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = os.path.join("docs", "sources.md")
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ["loihi" + ".md", "fsddim" + ".md", ".." + "/shared"]
SKIP_DIRS = {".git", "build", "out", "runs", "__pycache__"}
ANCHOR_DEF = re.compile(r'<a id="([A-Za-z0-9_-]+)"></a>')
CITED = re.compile(r"docs/sources\.md#([A-Za-z0-9_-]+)")
DOC_LINK = re.compile(r"\]\((?:\./)?sources\.md#([A-Za-z0-9_-]+)\)")
SELF_LINK = re.compile(r"\]\(#([A-Za-z0-9_-]+)\)")


def tracked_files():
    """Files under version control; a tree without git (an unpacked archive) is walked instead."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
        return files


def text_files():
    """(path, text) of every tracked file that is text (network files, images and other binaries skipped)."""
    for rel in tracked_files():
        path = os.path.join(ROOT, rel)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if b"\0" in data:
            continue
        try:
            yield rel, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def defined_anchors():
    with open(os.path.join(ROOT, SOURCES), encoding="utf-8") as f:
        return ANCHOR_DEF.findall(f.read())


def test_no_file_cites_notes_outside_the_repository():
    offenders = []
    for rel, text in text_files():
        if rel == SOURCES:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            offenders += [f"{rel}:{n}: {word}" for word in FORBIDDEN if word in line]
    assert not offenders, "cite docs/sources.md instead:\n" + "\n".join(offenders)


def test_sources_anchors_are_unique():
    anchors = defined_anchors()
    assert anchors, f"{SOURCES} defines no anchors"
    dups = sorted({a for a in anchors if anchors.count(a) > 1})
    assert not dups, f"anchors defined twice in {SOURCES}: {dups}"


def test_every_cited_anchor_exists():
    anchors = set(defined_anchors())
    missing = []
    for rel, text in text_files():
        in_docs = rel.startswith("docs" + os.sep) or rel.startswith("docs/")
        for n, line in enumerate(text.splitlines(), 1):
            cited = CITED.findall(line)
            if in_docs:
                cited += DOC_LINK.findall(line)
            if rel == SOURCES:
                cited += SELF_LINK.findall(line)
            missing += [f"{rel}:{n}: #{a}" for a in cited if a not in anchors]
    assert not missing, f"anchors cited but not defined in {SOURCES}:\n" + "\n".join(missing)


def test_the_tree_cites_sources():
    """The code and the configs point into docs/sources.md (a guard against the citations being dropped)."""
    citing = {rel.split("/")[0] for rel, text in text_files() if rel != SOURCES and CITED.search(text)}
    assert {"model", "hw", "configs", "tests"} <= citing, f"directories citing {SOURCES}: {sorted(citing)}"
