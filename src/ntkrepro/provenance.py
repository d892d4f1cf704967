"""Which library source files a script runs, found by reading imports, and their digest: a rule's
params carry the digest so that editing any module it runs re-runs it, and resume states carry the
digest of the modules that compute them so that state from other code is never resumed."""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent


def source_digest(script, *modules: str) -> str:
    """Digest of the ntkrepro files that running ``script`` imports, directly or indirectly, and of
    ``modules`` (dotted names a script imports by name at run time) with what they import."""
    return _digest(library_files(script, *modules))


def code_digest(*modules: str) -> str:
    """Digest of the ntkrepro modules ``modules`` (dotted names) and of everything they import."""
    return _digest(library_files(None, *modules))


def _digest(files) -> str:
    h = hashlib.blake2b(digest_size=8)
    for f in files:
        h.update(code_text(f))
    return h.hexdigest()


def code_text(path: Path) -> bytes:
    """What a source file runs: its syntax tree without docstrings, so that editing a comment, a
    docstring or the layout changes no digest (a file Python cannot parse counts as its bytes)."""
    return _code_text(path.read_bytes())


@functools.lru_cache(maxsize=1024)  # a plan digests the same files for many jobs
def _code_text(source: bytes) -> bytes:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def library_files(source, *modules: str):
    """The ntkrepro source files that importing ``source`` (a file, or None) and ``modules``
    executes (sorted)."""
    root = ROOT
    seen = {f for name in modules for f in module_files(root, name)}
    todo = ([Path(source)] if source is not None else []) + sorted(seen)
    while todo:
        path = todo.pop()
        dotted = None
        if path.is_relative_to(root):
            parts = path.relative_to(root).with_suffix("").parts
            dotted = ".".join(("ntkrepro",) + parts).removesuffix(".__init__")
        for name in imported_names(path, dotted):
            for f in module_files(root, name):
                if f not in seen:
                    seen.add(f)
                    todo.append(f)
    return sorted(seen)


def imported_names(path, dotted):
    """Absolute dotted names of what ``path`` (the module ``dotted``, or a script) imports."""
    package = (
        dotted if path.name == "__init__.py" else (dotted or "").rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def module_files(root, name):
    """Files of ntkrepro module ``name`` and of the packages above it (run on import)."""
    parts = name.split(".")
    if parts[0] != "ntkrepro":
        return []
    files = []
    for depth in range(len(parts)):
        here = root.joinpath(*parts[1 : depth + 1])
        if here.with_suffix(".py").is_file() and depth > 0:
            files.append(here.with_suffix(".py"))
        elif (here / "__init__.py").is_file():
            files.append(here / "__init__.py")
        else:
            break  # an attribute imported from a module, not a module
    return files


def device_identity(device) -> str:
    """What of a torch device changes a result's bits: its type, and a GPU's model."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda {torch.cuda.get_device_name(device)}"
    return device.type
