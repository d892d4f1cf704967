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


def eigenfunction_index(ctx, j: int) -> int:
    """The index j of the paper (of its 60,000-sample kernel) at the same relative depth of this
    dataset's kernel: j·m/reference_samples, at least 1 (``reference_samples: null`` keeps j)."""
    reference = ctx.paper["reference_samples"]
    if reference is None:
        return j
    return max(1, round(j * sum(ctx.sizes()) / reference))


def eigenfunction_name(ctx, j: int) -> str:
    """φ_j as the figures name it: with the paper's index when it was scaled to this kernel."""
    scaled = eigenfunction_index(ctx, j)
    return f"φ_{scaled}" if scaled == j else f"φ_{scaled}, the paper's φ_{j} at {sum(ctx.sizes()):,} samples"


def eigenfunction_indices(ctx, key: str, indices) -> list[int]:
    """The scaled indices of a grid, in order, each once (scaling can merge neighbours)."""
    return list(dict.fromkeys(eigenfunction_index(ctx, j) for j in indices)) if indices else []


def eigenfunction_task(ctx, key: str, j: int) -> str:
    """The task sign(φ_j) for the (already scaled) index j, checked against the eigenpairs the
    spectrum keeps; the config key that asked for it is recorded for later messages."""
    k = ctx.config["spectrum"]["k"]
    if j > k:
        raise ConfigError(f"config key '{ctx.paper_key}.{ctx.key}.{key}': eigenfunction {j} is beyond spectrum.k ({k})")
    return ctx.origin(f"eigenfunction{j}", key)


def check_epochs(ctx, key: str, epochs) -> None:
    total = ctx.recipe().epochs
    late = [e for e in epochs if e > total]
    if late:
        raise ConfigError(f"config key '{ctx.paper_key}.{ctx.key}.{key}': epoch {late[0]} is beyond the recipe's "
                          f"epochs ({total})")
