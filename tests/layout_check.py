#!/usr/bin/env python3
"""Checks that the tree is laid out as docs/ARCHITECTURE.md says (run by ctest as style.layout).

    python3 tests/layout_check.py [source dir]

Rules, each violation printed as file[:line]: what is wrong (the rule):
  1. An include of "imagenet/<component>/..." from src/<component>/ or include/imagenet/<component>/
     goes to the same component or to one of a lower level, never upward and never sideways (two
     components of one level are independent). src/main.cpp may include every component.
  2. A quoted include without the "imagenet/" prefix is a private header: it must sit in the
     includer's own folder, so no private header crosses components.
  3. No two source files under src/ share a base name, whatever their extensions, except a private
     header beside its own implementation (src/config/config_keys.h and config_keys.cpp).
  4. Every folder of include/imagenet/ and of src/ is a known component, and every public header
     folder include/imagenet/<component>/ has its src/<component>/ folder.
Tests (tests/) and benchmarks (bench/) are not checked: fixtures may use any component.
"""

import os
import re
import sys

# The components this test knows and their levels, in the direction of dependency: a component
# may include itself or any component of a lower level. A new component is one line here.
LEVELS = {
    "util": 0,
    "config": 1,
    "image": 1,
    "s3": 1,
    "data": 2,
    "model": 2,
    "distributed": 2,
    "logging": 2,
    "checkpoint": 2,
    "train": 3,
    "lrfind": 4,
    "preflight": 4,
    "app": 5,
}
# Files that belong to no component folder, with their level.
TOP_LEVEL_FILES = {"src/main.cpp": ("main", 6)}

SOURCE_EXTENSIONS = (".cpp", ".cc", ".cxx", ".c")
HEADER_EXTENSIONS = (".h", ".hpp", ".hh")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def component_list(level):
    names = sorted(name for name, lvl in LEVELS.items() if lvl == level)
    return ", ".join(names)


def below(level):
    """The components a file of `level` may include besides its own, for messages."""
    groups = [component_list(lvl) for lvl in sorted(set(LEVELS.values())) if lvl < level]
    return "; ".join(groups) if groups else "nothing else"


def files_under(root, folder):
    """Paths relative to root of every C/C++ file under root/folder, sorted."""
    out = []
    for directory, subdirs, names in os.walk(os.path.join(root, folder)):
        subdirs.sort()
        for name in sorted(names):
            if name.endswith(SOURCE_EXTENSIONS + HEADER_EXTENSIONS):
                out.append(os.path.relpath(os.path.join(directory, name), root))
    return out


def owner(path):
    """(component, level) of a file in src/ or include/imagenet/; level None when unknown."""
    if path in TOP_LEVEL_FILES:
        return TOP_LEVEL_FILES[path]
    parts = path.split("/")
    if parts[0] == "include" and len(parts) >= 4 and parts[1] == "imagenet":
        component = parts[2]
    elif parts[0] == "src" and len(parts) >= 3:
        component = parts[1]
    else:
        return (None, None)
    return (component, LEVELS.get(component))


def check_includes(root, path, problems):
    component, level = owner(path)
    if component is None:
        problems.append(f"{path}: not in a component folder (files live in src/<component>/ or "
                        f"include/imagenet/<component>/; only {', '.join(TOP_LEVEL_FILES)} "
                        f"stands alone)")
        return
    if level is None:
        return  # reported once per folder by check_folders
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            bracket, target = match.groups()
            where = f"{path}:{number}: includes {target}"
            if target.startswith("imagenet/"):
                parts = target.split("/")
                to = parts[1] if len(parts) >= 3 else ""
                to_level = LEVELS.get(to)
                if to_level is None:
                    problems.append(f"{where}: '{to}' is not a known component "
                                    f"({', '.join(LEVELS)})")
                elif to != component and to_level >= level:
                    direction = "a sibling of the same level" if to_level == level else "upward"
                    problems.append(
                        f"{where}: {component} (level {level}) may include only itself and "
                        f"lower components ({below(level)}), not {to} (level {to_level}, "
                        f"{direction})")
            elif bracket == '"':
                local = os.path.join(root, os.path.dirname(path), target)
                if "/" in target or not os.path.isfile(local):
                    problems.append(
                        f"{where}: a private header must sit beside its includer in "
                        f"{os.path.dirname(path)}/; a header another component needs is public "
                        f"(include/imagenet/<component>/)")


def check_base_names(root, problems):
    by_stem = {}
    for path in files_under(root, "src"):
        stem = os.path.splitext(os.path.basename(path))[0]
        by_stem.setdefault(stem, []).append(path)
    for stem, paths in sorted(by_stem.items()):
        folders = {os.path.dirname(p) for p in paths}
        sources = [p for p in paths if p.endswith(SOURCE_EXTENSIONS)]
        if len(folders) > 1 or len(sources) > 1:
            problems.append(f"{', '.join(paths)}: share the base name '{stem}' (a base name "
                            f"names one thing under src/; rename or merge them)")


def check_folders(root, problems):
    include_root = os.path.join(root, "include", "imagenet")
    src_root = os.path.join(root, "src")
    public = sorted(d for d in os.listdir(include_root)
                    if os.path.isdir(os.path.join(include_root, d)))
    private = sorted(d for d in os.listdir(src_root) if os.path.isdir(os.path.join(src_root, d)))
    for folder, names in (("include/imagenet", public), ("src", private)):
        for name in names:
            if name not in LEVELS:
                problems.append(f"{folder}/{name}/: '{name}' is not a known component (known: "
                                f"{', '.join(LEVELS)}; a new one gets its level in "
                                f"tests/layout_check.py LEVELS)")
    for name in public:
        if name not in private:
            problems.append(f"include/imagenet/{name}/: public headers without a src/{name}/ "
                            f"folder (each component's headers are implemented in its own "
                            f"src/ folder)")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = []
    check_folders(root, problems)
    files = files_under(root, "src") + files_under(root, "include")
    for path in files:
        check_includes(root, path, problems)
    check_base_names(root, problems)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} layout problem(s); the rules are in tests/layout_check.py and "
              f"docs/ARCHITECTURE.md")
        return 1
    print(f"{len(files)} files: includes run downward, base names are unique, components known")
    return 0


if __name__ == "__main__":
    sys.exit(main())
