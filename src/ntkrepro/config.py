"""Configuration checks: the schema (keys, types, ranges, with defaults filled in) and the
constraints between keys that a schema cannot express. Each failure names the key at fault."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError

# (training, test) sizes of each dataset's splits
SPLIT_SIZES = {
    "cifar10": (50_000, 10_000),
    "mnist": (60_000, 10_000),
    "fashion-mnist": (60_000, 10_000),
    "mnist-5k": (4_000, 1_000),
}


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def coerce_text(config, schema: dict, root: dict | None = None):
    """Convert text to the number, boolean or null the schema expects, in place.

    Snakemake reads nested ``--config key={a: 1}`` values as text; a value that does not parse
    is left alone for the schema to report.
    """
    root = root or schema
    if "$ref" in schema:
        schema = {**_resolve(root, schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(config, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in config:
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
    cls = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(cls(schema).iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        raise ConfigError(describe(errors[0], schema))
    check_consistency(config)
    return config


def describe(error: jsonschema.ValidationError, schema: dict) -> str:
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
    return f"config key '{where or '(top level)'}': {error.message}"


def sample_counts(dataset: dict) -> tuple[int, int]:
    """(n_train, n_test) the prepared dataset will have."""
    if dataset["name"] == "synthetic":
        return dataset["n_train"], dataset["n_test"]
    full_train, full_test = SPLIT_SIZES[dataset["name"]]
    n_train, n_test = dataset.get("n_train"), dataset.get("n_test")
    return min(full_train, n_train or full_train), min(full_test, n_test or full_test)


def check_consistency(config: dict) -> None:
    ds = config["dataset"]
    if ds["name"] == "synthetic" and (ds.get("n_train") is None or ds.get("n_test") is None):
        raise ConfigError("config: dataset.name 'synthetic' needs dataset.n_train and dataset.n_test")
    n_train, n_test = sample_counts(ds)
    m = n_train + n_test
    k = config["spectrum"]["k"]
    if k > m:
        raise ConfigError(
            f"config key 'spectrum.k': {k} eigenpairs asked for, but the Gram matrix has only {m} samples "
            f"({n_train} train + {n_test} test)"
        )
    target = config["fig7"]["target"]
    if target > k:
        raise ConfigError(f"config key 'fig7.target': eigenfunction {target} is beyond spectrum.k ({k})")
    if config["train"]["batch_size"] > n_train:
        raise ConfigError(
            f"config key 'train.batch_size': {config['train']['batch_size']} exceeds the {n_train} training samples"
        )
