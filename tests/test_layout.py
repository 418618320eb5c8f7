"""The shape of the code: the framework stays liftable, apps import downward,
and every part of notifications/ has one job it names."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "notifications"
PROJECT_APPS = {"accounts", "microblog"}
MAX_MODULE_LINES = 400


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def framework_files(*suffixes: str) -> list[Path]:
    return [
        path
        for path in FRAMEWORK.rglob("*")
        if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts
    ]


def test_notifications_code_and_tests_never_import_the_project():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_level_modules(path) & PROJECT_APPS)
        for path in framework_files(".py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


# A project app named in a template: a URL name, a template path, or a lookup.
PROJECT_REFERENCE = re.compile(r"\b(accounts|microblog)[:/.]", re.IGNORECASE)


def test_notifications_templates_static_files_and_catalogue_never_name_the_project():
    offenders = []
    for path in framework_files(".html", ".txt", ".css", ".js", ".po"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PROJECT_REFERENCE.search(line) or "Microblog" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_notifications_pages_extend_its_own_layout_not_the_sites():
    pages = (FRAMEWORK / "templates" / "notifications" / "pages").glob("*.html")
    for page in pages:
        assert page.read_text().startswith('{% extends "notifications/base.html" %}'), page


def test_accounts_does_not_import_microblog():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "accounts").rglob("*.py")
        if "microblog" in imported_top_level_modules(path)
    ]
    assert offenders == []


def test_only_the_queue_module_imports_django_q():
    importers = sorted(
        str(path.relative_to(FRAMEWORK))
        for path in framework_files(".py")
        if "tests" not in path.relative_to(FRAMEWORK).parts
        and "django_q" in imported_top_level_modules(path)
    )
    assert importers == ["queue.py"]


def test_nothing_reads_djangos_private_on_commit_list():
    # Spelt in two halves so that a search of the repository finds no use at all.
    private = "run_on" + "_commit"
    code = [path for path in ROOT.rglob("*.py") if not {".venv", "var"} & set(path.parts)]
    assert [str(path) for path in code if private in path.read_text()] == []


def test_every_framework_module_is_small_and_says_what_it_owns():
    too_long, undocumented = [], []
    for path in framework_files(".py"):
        relative = path.relative_to(FRAMEWORK)
        if {"tests", "migrations"} & set(relative.parts):
            continue
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(str(relative))
        if source.strip() and not ast.get_docstring(ast.parse(source)):
            undocumented.append(str(relative))
    assert too_long == []
    assert undocumented == []


def test_every_framework_module_is_in_the_module_map():
    """docs/notifications.md's module map names every module (commands are
    covered by their folder's row)."""
    module_map = (ROOT / "docs" / "notifications.md").read_text()
    missing = []
    for path in framework_files(".py"):
        relative = path.relative_to(FRAMEWORK)
        parts = set(relative.parts)
        if {"tests", "migrations", "management"} & parts or relative.name == "__init__.py":
            continue
        if f"`{relative.as_posix()}`" not in module_map:
            missing.append(relative.as_posix())
    assert missing == []


def calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def framework_code() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(FRAMEWORK).as_posix(), path)
        for path in framework_files(".py")
        if not {"tests", "migrations"} & set(path.relative_to(FRAMEWORK).parts)
    ]


def test_only_transitions_changes_a_status_with_an_update():
    """Every guarded status UPDATE lives in transitions.py, with its reason text."""
    offenders = [
        f"{name}:{call.lineno}"
        for name, path in framework_code()
        if name != "transitions.py"
        for call in calls(path)
        if (called_name(call) == "update" and any(k.arg == "status" for k in call.keywords))
        or called_name(call) == "update_where"  # sql.update_where: written once, for transitions
    ]
    assert offenders == []


def test_every_outbox_row_comes_from_the_one_row_builder():
    """Only enqueue/rows.py builds Notification rows (previews build unsaved
    samples); nothing creates them through the manager."""
    offenders = []
    for name, path in framework_code():
        for call in calls(path):
            func = call.func
            builds = isinstance(func, ast.Name) and func.id == "Notification"
            creates = called_name(call) in {
                "create",
                "bulk_create",
                "get_or_create",
            } and "Notification.objects" in ast.unparse(func)
            if creates or (builds and name not in {"enqueue/rows.py", "previews.py"}):
                offenders.append(f"{name}:{call.lineno}")
    assert offenders == []
