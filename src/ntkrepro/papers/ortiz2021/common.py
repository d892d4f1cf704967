"""What the figures of paper 000 share: their scale line, schema pieces and the eigenfunction tasks."""

from ...errors import ConfigError

MODEL = {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]*$"}
MODELS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": MODEL}
INDICES = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 1}}
EPOCHS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 0}}
FORMS = ("network", "linearized")


def scale_text(ctx) -> str:
    n_train, n_test = ctx.sizes()
    return (
        f"{ctx.dataset}, {n_train:,} training + {n_test:,} test samples, {ctx.recipe().epochs} epochs, "
        f"K = {ctx.config['spectrum']['k']:,}"
    )


def eigenfunction_task(ctx, key: str, j: int) -> str:
    """The task sign(φ_j), checked against the eigenpairs the spectrum keeps (``key`` names the setting)."""
    k = ctx.config["spectrum"]["k"]
    if j > k:
        raise ConfigError(f"config key '{ctx.paper_key}.{ctx.key}.{key}': eigenfunction {j} is beyond spectrum.k ({k})")
    return f"eigenfunction{j}"


def check_epochs(ctx, key: str, epochs) -> None:
    total = ctx.recipe().epochs
    late = [e for e in epochs if e > total]
    if late:
        raise ConfigError(f"config key '{ctx.paper_key}.{ctx.key}.{key}': epoch {late[0]} is beyond the recipe's "
                          f"epochs ({total})")
