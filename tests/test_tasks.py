"""The task registry: names, scopes, labels, sample selection and class-stratified subsets."""

import re

import numpy as np
import pytest
import torch

from ntkrepro import tasks
from ntkrepro.data import Dataset
from ntkrepro.errors import ConfigError

CLASSES = torch.arange(1000) % 10


@pytest.mark.parametrize("name,kind,scope,selects", [
    ("classes", "classes", tasks.DATA, False), ("cifar2", "cifar2", tasks.DATA, False),
    ("3v8", "pair", tasks.DATA, True), ("onevsrest0", "onevsrest", tasks.DATA, False),
    ("cifar2-n500", "cifar2", tasks.SEED, True), ("3v8-n20", "pair", tasks.SEED, True),
    ("cifar2-p500", "cifar2", tasks.SEED, True),
    ("eigenfunction400", "eigenfunction", tasks.INIT, False), ("nad16", "nad", tasks.INIT, False),
])
def test_names_parse_to_their_kind_and_scope(name, kind, scope, selects):
    t = tasks.parse(name)
    assert (t.kind, t.scope, t.selects_samples) == (kind, scope, selects)
    assert re.fullmatch(tasks.wildcard_pattern(), name) and re.fullmatch(tasks.wildcard_pattern(scope), name)
    others = {tasks.DATA, tasks.SEED, tasks.INIT} - {scope}
    assert not any(re.fullmatch(tasks.wildcard_pattern(s), name) for s in others)


def test_unknown_names_and_subsets_of_init_tasks_are_refused():
    with pytest.raises(ConfigError, match="unknown task 'cifar3'"):
        tasks.parse("cifar3")
    with pytest.raises(ConfigError, match="only dataset-labelled tasks take a -n<size> or -p<size> subset"):
        tasks.parse("eigenfunction4-n100")


def test_stratified_cifar2_subset():
    task = tasks.build("cifar2-n100", CLASSES, CLASSES[:50], seed=3)
    idx = task["train_indices"].numpy()
    assert len(idx) == 100 and len(set(idx)) == 100
    assert np.bincount(CLASSES.numpy()[idx]).tolist() == [10] * 10
    assert torch.equal(task["y_train"], tasks.sign_labels(4.5 - CLASSES.numpy()[idx]))
    again = tasks.build("cifar2-n100", CLASSES, CLASSES[:50], seed=3)
    other = tasks.build("cifar2-n100", CLASSES, CLASSES[:50], seed=4)
    assert torch.equal(again["train_indices"], task["train_indices"])
    assert not torch.equal(other["train_indices"], task["train_indices"])
    assert task["y_test"].tolist() == ([1] * 5 + [-1] * 5) * 5 and "test_indices" not in task


def test_nested_subsets_of_one_seed_lie_inside_each_other():
    subsets = {n: tasks.build(f"cifar2-p{n}", CLASSES, CLASSES[:50], seed=3)["train_indices"].numpy()
               for n in (10, 37, 100, 999, 1000)}
    assert all(len(idx) == n and len(set(idx)) == n and np.all(np.diff(idx) > 0) for n, idx in subsets.items())
    sizes = sorted(subsets)
    assert all(set(subsets[a]) <= set(subsets[b]) for a, b in zip(sizes, sizes[1:]))
    assert subsets[1000].tolist() == list(range(1000))
    other = tasks.build("cifar2-p100", CLASSES, CLASSES[:50], seed=4)["train_indices"].numpy()
    assert not np.array_equal(other, subsets[100])
    assert tasks.parse("cifar2-p10").nested and not tasks.parse("cifar2-n10").nested
    with pytest.raises(ConfigError, match="a subset of 1001 from 1000 training samples"):
        tasks.build("cifar2-p1001", CLASSES, CLASSES[:50], seed=3)


def test_pairs_keep_their_two_classes_and_one_vs_rest_all():
    pair = tasks.build("3v8", CLASSES, CLASSES[:50])
    assert set(CLASSES[pair["train_indices"]].tolist()) == {3, 8} and len(pair["train_indices"]) == 200
    assert pair["y_test"].tolist() == [1, -1] * 5 and CLASSES[pair["test_indices"]].tolist() == [3, 8] * 5
    rest = tasks.build("onevsrest0", CLASSES, CLASSES[:50])
    assert rest["y_train"].dtype == torch.int8 and int((rest["y_train"] > 0).sum()) == 100 and rest["outputs"] == 1
    multi = tasks.build("classes", CLASSES, CLASSES[:50])
    assert multi["outputs"] == 10 and multi["y_train"].dtype == torch.int64 and torch.equal(multi["y_train"], CLASSES)
    assert tasks.outputs("classes", 10) == 10 and tasks.outputs("3v8", 10) == 1


def test_a_subset_larger_than_its_pool_is_refused():
    with pytest.raises(ConfigError, match="a subset of 300 from 200 training samples"):
        tasks.build("3v8-n300", CLASSES, CLASSES[:50], seed=0)


def test_samples_of_a_task_and_their_ids():
    ds = Dataset("d", torch.arange(10.0).reshape(10, 1, 1, 1), CLASSES[:10], torch.arange(10.0, 14).reshape(4, 1, 1, 1),
                 CLASSES[:4])
    task = tasks.build("3v8", ds.y_train, ds.y_test)
    x, ids = ds.select("all", task)
    assert ids.tolist() == [3, 8, 10 + 3] and x.flatten().tolist() == [3.0, 8.0, 13.0]
    x, ids = ds.select("train")
    assert ids.tolist() == list(range(10))
    assert tasks.sample_source("3v8") == "3v8" and tasks.sample_source("cifar2") == "classes"
