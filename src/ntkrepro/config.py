"""Configuration checks: the schema (keys, types, ranges, with defaults filled in) — the shared
sections from workflow/schemas/config.schema.yaml, each paper's section from the schemas its modules
declare — and the constraints between keys that a schema cannot express. Each failure names the key."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import jsonschema
import yaml

from . import data, models
from .errors import ConfigError
from .training import Recipe
from .training.recipe import AUGMENTATIONS, CHECKS, LOSSES, OPTIMIZERS, SCHEDULES


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def load_schema(path: str | Path, papers: dict | None = None) -> dict:
    """The schema file, its enums filled in from the library's registries (datasets, architectures and
    their options, initializations, recipe parts), and one section per paper built from the paper's
    and its figures' schemas."""
    schema = yaml.safe_load(Path(path).read_text())
    defs = schema["definitions"]
    defs["dataset"]["properties"]["name"]["enum"] = list(data.SOURCES)
    model = defs["model"]["properties"]
    model["arch"]["enum"] = list(models.ARCHITECTURES)
    model.update(models.COMMON_OPTIONS)
    model["init"] = {"type": ["string", "null"], "enum": [*models.INITIALIZATIONS, None], "default": None}
    for arch in models.ARCHITECTURES.values():
        model.update({k: {kk: vv for kk, vv in v.items() if kk != "default"} for k, v in arch.options.items()})
    schema["properties"]["init"]["properties"]["scheme"]["enum"] = list(models.INITIALIZATIONS)
    recipe = defs["recipe"]["properties"]
    for key, values in (("loss", LOSSES), ("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("check", CHECKS),
                        ("augmentation", AUGMENTATIONS)):
        recipe[key]["enum"] = list(values)
    for key, paper in (papers or {}).items():
        props = {**paper.SCHEMA, **{fig: {"oneOf": [{"type": "null"}, module.SCHEMA]}
                                    for fig, module in paper.figures.items()}}
        schema["properties"][key] = {"type": "object", "additionalProperties": False, "properties": props}
    return schema


def coerce_text(config, schema: dict, root: dict | None = None):
    """Convert text to the number, boolean or null the schema expects, in place.

    Snakemake reads nested ``--config key={a: 1}`` values as text, and YAML 1.1 reads ``1e-3`` (no
    dot) as text; a value that does not parse is left alone for the schema to report.
    """
    root = root or schema
    if "$ref" in schema:
        schema = {**_resolve(root, schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
    if "oneOf" in schema:
        schema = next((s for s in schema["oneOf"] if s.get("type") != "null"), schema)
    if isinstance(config, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key in config:
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                config[key] = coerce_text(config[key], sub, root)
        return config
    if isinstance(config, list) and "items" in schema:
        return [coerce_text(v, schema["items"], root) for v in config]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(config, str) and "string" not in types and set(types) & {"integer", "number", "boolean", "null"}:
        try:
            value = yaml.safe_load(config)
        except yaml.YAMLError:
            return config
        if isinstance(value, str) and "number" in types:
            try:
                return float(value)
            except ValueError:
                return config
        return value if not isinstance(value, str) else config
    return config


def _resolve(root: dict, ref: str) -> dict:
    node = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def validate(config: dict, schema: dict) -> dict:
    """Check ``config`` against ``schema``, filling in defaults (in place); raise ConfigError."""
    coerce_text(config, schema)
    check_finite(config)
    cls = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(cls(schema).iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        raise ConfigError(describe(errors[0]))
    check_consistency(config)
    return config


def check_finite(config, where: str = "") -> None:
    """Refuse NaN and ±Inf anywhere: every number of a config is a size, rate or tolerance, and NaN
    passes every range check of the schema (each comparison with it is false)."""
    if isinstance(config, dict):
        items = config.items()
    elif isinstance(config, list):
        items = enumerate(config)
    else:
        if isinstance(config, float) and not math.isfinite(config):
            raise ConfigError(f"config key '{where}': {config} is not a finite number")
        return
    for key, value in items:
        check_finite(value, f"{where}.{key}" if where else str(key))


def describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and error.context:  # a figure section (or null): report the section's error
        branch = [e for e in error.context if e.relative_schema_path[0] == 1]
        error = sorted(branch or error.context, key=lambda e: (len(e.absolute_path), list(map(str, e.path))))[0]
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = ".".join(filter(None, [where, extra[0]]))
        return f"config: unknown key '{key}' (allowed here: {', '.join(allowed)})"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"config: missing key '{'.'.join(filter(None, [where, missing]))}'"
    if error.validator == "enum":
        options = " | ".join(map(str, error.validator_value))
        return f"config key '{where}': {error.instance!r} is not one of {options}"
    if error.validator == "type" and isinstance(error.instance, str) and "number" in str(error.validator_value):
        return (f"config key '{where}': {error.instance!r} is not a number (YAML reads exponents without a dot, "
                f"like 1e-3, as text: write 1.0e-3)")
    return f"config key '{where or '(top level)'}': {error.message}"


def check_consistency(config: dict) -> None:
    """Constraints between shared keys; each error names the key and the value at fault. (Paper
    sections are checked by their figures when the run plan is made.)"""
    for key, spec in [("dataset", config["dataset"])] + [(f"datasets.{k}", v) for k, v in config.get("datasets", {}).items()]:
        if spec["name"] == "synthetic" and (spec.get("n_train") is None or spec.get("n_test") is None):
            raise ConfigError(f"config: {key}.name 'synthetic' needs {key}.n_train and {key}.n_test")
        if spec["name"] == "imagefolder" and "imagefolder" not in spec:
            raise ConfigError(f"config: {key}.name 'imagefolder' needs {key}.imagefolder.classes (the class folders)")
        if spec.get("imagefolder") and spec["imagefolder"]["crop"] > spec["imagefolder"]["resize"]:
            raise ConfigError(f"config key '{key}.imagefolder.crop': {spec['imagefolder']['crop']} is larger than "
                              f"resize ({spec['imagefolder']['resize']})")
    for name, spec in config["models"].items():
        arch = models.ARCHITECTURES[spec["arch"]]
        extra = set(spec) - {"arch", "init"} - set(models.COMMON_OPTIONS) - set(arch.options)
        if extra:
            raise ConfigError(f"config key 'models.{name}.{sorted(extra)[0]}': not an option of arch {spec['arch']!r}")
    n_train, n_test = data.split_sizes(config["dataset"])
    for name, spec in config["recipes"].items():
        try:
            recipe = Recipe(**spec)
        except ConfigError as e:
            raise ConfigError(f"config section 'recipes.{name}': {e}") from None
        if recipe.batch_size > n_train:
            raise ConfigError(f"config key 'recipes.{name}.batch_size': {recipe.batch_size} exceeds the {n_train} "
                              f"training samples of {config['dataset']['name']}")
    m, k = n_train + n_test, config["spectrum"]["k"]
    if k > m:
        raise ConfigError(f"config key 'spectrum.k': {k} eigenpairs asked for, but the Gram matrix has only {m} samples "
                          f"({n_train} train + {n_test} test)")
