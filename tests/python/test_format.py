"""The C++ tree is formatted with the repository's .clang-format (Debian's clang-format, installed by
scripts/lib/setup.sh) and no line of it passes the 120-column limit."""
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpp_files():
    out = subprocess.run(["git", "ls-files", "*.cpp", "*.h"], cwd=ROOT, capture_output=True, text=True, check=True)
    files = out.stdout.split()
    assert len(files) > 50, "expected the C++ tree to be tracked by git"
    return files


def test_cpp_lines_within_the_column_limit():
    limit = next(int(l.split(":")[1]) for l in open(os.path.join(ROOT, ".clang-format")) if l.startswith("ColumnLimit:"))
    assert limit == 120
    long = [f"{f}:{n}" for f in cpp_files() for n, line in enumerate(open(os.path.join(ROOT, f)), 1)
            if len(line.rstrip("\n")) > limit]
    assert long == []


def test_cpp_tree_is_clang_formatted():
    exe = shutil.which("clang-format")
    assert exe, "clang-format is missing: install Debian's clang-format (scripts/lib/setup.sh does)"
    r = subprocess.run([exe, "--dry-run", "--Werror", *cpp_files()], cwd=ROOT, capture_output=True, text=True)
    fix = "git ls-files '*.cpp' '*.h' | xargs clang-format -i"
    assert r.returncode == 0, f"not formatted with .clang-format (run: {fix})\n" + r.stderr[:4000]
