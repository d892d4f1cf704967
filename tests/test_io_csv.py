"""The workflow's CSVs are read strictly: a damaged file is one line naming the file, the row and the
column, never numbers that are not there."""

import pytest

from ntkrepro import io, verify
from ntkrepro.errors import IntegrityError


def written(tmp_path):
    path = tmp_path / "svm.csv"
    io.write_csv({"solver": ["exact", "jst1", "exact"], "margin": [0.25, 0.125, 0.5], "gap": [1e-4, 2e-4, 3e-4]}, path)
    return path


def refused(path) -> str:
    with pytest.raises(IntegrityError) as e:
        io.read_csv(path)
    message = str(e.value)
    assert message.startswith(f"{path}, row ") and len(message.splitlines()) == 1, message
    assert verify.check(path) == message  # `python -m ntkrepro.verify` lists it
    return message


def test_a_written_csv_reads_back(tmp_path):
    back = io.read_csv(written(tmp_path))
    assert back["solver"].tolist() == ["exact", "jst1", "exact"] and back["margin"].tolist() == [0.25, 0.125, 0.5]


def test_a_short_row_names_the_row_and_the_first_missing_column(tmp_path):
    path = written(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "jst1,0.125\n"
    path.write_text("".join(lines))
    assert refused(path) == f"{path}, row 2 (line 3), column 'gap': missing (the row has 2 of the 3 columns); delete it to rebuild"


def test_a_long_row_is_refused(tmp_path):
    path = written(tmp_path)
    path.write_text(path.read_text() + "exact,0.5,3e-4,7\n")
    assert "row 4 (line 5), column 4: an extra cell '7' (the header has 3 columns)" in refused(path)


def test_a_cell_that_is_not_a_number_in_a_numeric_column_is_named(tmp_path):
    path = written(tmp_path)
    path.write_text(path.read_text().replace("0.125", "0x1f"))
    assert refused(path) == (f"{path}, row 2 (line 3), column 'margin': '0x1f' is not a number, though the column's "
                             "other cells are; delete it to rebuild")


@pytest.mark.parametrize("cut", [5, 9, 1])
def test_a_file_cut_mid_row_is_refused(tmp_path, cut):
    path = written(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) - cut])  # within the last row's cells, or just before its line end
    message = refused(path)
    assert "row 3 (line 4)" in message and "the file ends mid-row (cut short?)" in message


def test_a_label_column_named_as_text_keeps_what_was_written(tmp_path):
    path = tmp_path / "claims.csv"
    io.write_csv({"figure": ["2", "7", "table1"], "value": [0.5, 1.0, 2.0]}, path)
    with pytest.raises(IntegrityError, match="column 'figure': 'table1' is not a number"):
        io.read_csv(path)
    card = io.read_csv(path, labels=("figure",))
    assert card["figure"].tolist() == ["2", "7", "table1"] and card["value"].tolist() == [0.5, 1.0, 2.0]
