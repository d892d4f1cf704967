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


FIGURES = ("fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9")
ARCH_OPTIONS = {"mlp": {"widths"}, "lenet": set(), "resnet18": {"width", "zero_init_residual"}}


def referenced_models(config: dict) -> list[tuple[str, str]]:
    """(config key, model name) of every model a figure section names."""
    out = []
    for fig in FIGURES:
        section = config.get(fig) or {}
        names = section.get("models", [section["model"]] if "model" in section else [])
        out += [(f"{fig}.model" + ("s" if "models" in section else ""), n) for n in names]
    return out


def check_consistency(config: dict) -> None:
    """Constraints between keys; each error names the key and the value at fault."""
    ds = config["dataset"]
    if ds["name"] == "synthetic" and (ds.get("n_train") is None or ds.get("n_test") is None):
        raise ConfigError("config: dataset.name 'synthetic' needs dataset.n_train and dataset.n_test")
    models = config["models"]
    for name, spec in models.items():
        extra = set(spec) - {"arch", "activation"} - ARCH_OPTIONS[spec["arch"]]
        if extra:
            raise ConfigError(f"config key 'models.{name}.{sorted(extra)[0]}': not an option of arch {spec['arch']!r}")
    for key, name in referenced_models(config):
        if name not in models:
            raise ConfigError(f"config key '{key}': model {name!r} is not defined under models ({', '.join(models)})")

    n_train, n_test = sample_counts(ds)
    m = n_train + n_test
    k = config["spectrum"]["k"]
    if k > m:
        raise ConfigError(
            f"config key 'spectrum.k': {k} eigenpairs asked for, but the Gram matrix has only {m} samples "
            f"({n_train} train + {n_test} test)"
        )
    eigen_indices = [("fig7.target", config["fig7"]["target"])]
    for fig, key in (("fig2", "eigenfunctions"), ("fig3", "eigenfunctions")):
        if fig in config:
            eigen_indices += [(f"{fig}.{key}", j) for j in config[fig][key]]
    for fig in ("fig8", "fig9"):
        if fig in config:
            eigen_indices.append((f"{fig}.target", config[fig]["target"]))
    for key, j in eigen_indices:
        if j > k:
            raise ConfigError(f"config key '{key}': eigenfunction {j} is beyond spectrum.k ({k})")

    epochs, batch = config["train"]["epochs"], config["train"]["batch_size"]
    if batch > n_train:
        raise ConfigError(f"config key 'train.batch_size': {batch} exceeds the {n_train} training samples")
    for fig in ("fig6", "fig9"):
        late = [e for e in config.get(fig, {}).get("epochs", []) if e > epochs]
        if late:
            raise ConfigError(f"config key '{fig}.epochs': epoch {late[0]} is beyond train.epochs ({epochs})")
    if "fig4" in config:
        f4 = config["fig4"]
        d = f4["size"] ** 2
        if max(f4["nads"]) > d:
            raise ConfigError(f"config key 'fig4.nads': index {max(f4['nads'])} is beyond the {d} input dimensions")
        if f4["n_train"] < batch:
            raise ConfigError(f"config key 'fig4.n_train': {f4['n_train']} is smaller than train.batch_size ({batch})")
    if "fig5" in config:
        sizes = config["fig5"]["sizes"]
        if max(sizes) > n_train:
            raise ConfigError(f"config key 'fig5.sizes': {max(sizes)} exceeds the {n_train} training samples")
        if min(sizes) < batch:
            raise ConfigError(f"config key 'fig5.sizes': {min(sizes)} is smaller than train.batch_size ({batch})")
    if "fig6" in config:
        f6 = config["fig6"]
        n6 = f6["n_train"] or n_train
        if n6 > n_train:
            raise ConfigError(f"config key 'fig6.n_train': {n6} exceeds the {n_train} training samples")
        if f6["k"] > n6:
            raise ConfigError(f"config key 'fig6.k': {f6['k']} eigenvectors of a {n6}-sample Gram matrix")
