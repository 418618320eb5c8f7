"""The notification framework stays reusable: it never imports the project's apps."""

import ast
from pathlib import Path

FRAMEWORK = Path(__file__).resolve().parent.parent / "notifications"
PROJECT_APPS = {"accounts", "microblog"}


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_notifications_does_not_import_accounts_or_microblog():
    offenders = {
        str(path.relative_to(FRAMEWORK)): sorted(imported_top_level_modules(path) & PROJECT_APPS)
        for path in FRAMEWORK.rglob("*.py")
        if "tests" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}
