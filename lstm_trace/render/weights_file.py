"""`weights inspect` on screen: what a file holds, how its layout maps to the canonical one,
the cell options it sets (a GRU, peepholes, a projection, clip, activations), and, for
frameworks that store two biases, both biases and their sum."""

from __future__ import annotations

from typing import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from ..stages import GATES
from ..weights.gru_weights import GRUWeights
from ..weights.layers import CellKey, WeightsFile
from ..weights.stated_options import cell_kind, implied_options, options_text
from .columns import ColumnTable
from .numbers import format_number, style_for
from .tables import TableOptions


def inspect_view(weights_file: WeightsFile, shown: Sequence[CellKey], options: TableOptions) -> list[RenderableType]:
    """The file's cells, the mapping each one went through, what cannot be traced, and the biases."""
    views: list[RenderableType] = [_summary(weights_file), cells_table(weights_file), Text("")]
    for key in shown:
        views.append(_mapping(weights_file, key))
        if key in weights_file.bias_parts:
            views.append(bias_table(weights_file, key, options))
    if not shown:
        hint = "Choose a cell with --layer (and --direction) to see its mapping and biases."
        views.append(Text(hint, style="italic"))
    return views


def cells_table(weights_file: WeightsFile) -> ColumnTable:
    table = ColumnTable()
    for header, justify in (("layer", "right"), ("name", "left"), ("direction", "left"), ("cell", "left"),
                            ("H", "right"), ("I", "right"), ("parameters", "right"), ("stored as", "left")):  # fmt: skip
        table.add_column(header, justify=justify)
    for (layer, direction), weights in sorted(weights_file.cells.items()):
        provenance = weights.provenance
        table.add_row(
            str(layer), Text(weights_file.layer_name(layer)), direction, Text(cell_kind(weights)),
            str(weights.hidden_size), str(weights.input_size), str(_parameters(weights)),
            str(provenance.get("stored_dtype", weights.dtype)),
        )  # fmt: skip
    return table


def bias_table(weights_file: WeightsFile, key: CellKey, options: TableOptions) -> Group:
    """Per gate and unit: the two stored biases and the b_g lstm-trace uses, their sum.

    A GRU's new state keeps its two biases apart (b_in, b_hn), so its rows show no sum."""
    parts = weights_file.bias_parts[key]
    weights = weights_file.cells[key]
    rows = _bias_rows(weights)
    table = ColumnTable()
    table.add_column("gate", justify="left")
    table.add_column("unit", justify="right", style="dim")
    for part in parts:
        table.add_column(part, justify="right")
    table.add_column("b_g = sum", justify="right")
    H = weights.hidden_size
    shown_units = H if options.max_rows is None else min(H, options.max_rows)
    for gate, label, summed in rows:
        for unit in range(shown_units):
            values = [float(part[gate][unit]) for part in parts.values()]
            cells = [Text(label if unit == 0 else ""), Text(str(unit))]
            cells += [Text(format_number(v, options.precision), style=style_for(v, "signed")) for v in values]
            total = None if summed is None else float(summed[unit])
            cells.append(Text("kept apart", style="dim") if total is None
                         else Text(format_number(total, options.precision), style=style_for(total, "signed")))  # fmt: skip
            table.add_row(*cells, end_section=unit == shown_units - 1 and H == shown_units)
        if shown_units < H:
            table.add_row(Text(""), Text("⋮"), *(Text(f"{H - shown_units} more") for _ in range(len(parts) + 1)),
                          end_section=True)  # fmt: skip
    layer, direction = key
    title = Text.assemble(("Biases", "bold"), f" of layer {layer} ({direction}): ",
                          f"{' + '.join(parts)} = the b_g each gate adds before its activation")  # fmt: skip
    if isinstance(weights, GRUWeights):
        title.append("; the new state's two are kept apart, b_in and b_hn, as r multiplies only the hidden side")
    return Group(title, table)


def _bias_rows(weights) -> list[tuple[str, str, object]]:
    """(gate, row label, the bias lstm-trace uses or None where the two stay apart), in canonical order."""
    if isinstance(weights, GRUWeights):
        return [("reset", "reset (b_r)", weights.b["reset"]), ("update", "update (b_z)", weights.b["update"]),
                ("new", "new (b_in, b_hn)", None)]  # fmt: skip
    return [(gate.name, f"{gate.name} ({gate.bias_key})", weights.b[gate.name]) for gate in GATES]


def _summary(weights_file: WeightsFile) -> Text:
    text = Text()
    text.append(f"{weights_file.path}", style="bold")
    text.append(f": {weights_file.framework}, {len(weights_file.cells)} {weights_file.kind} cell(s) in "
                f"{len({layer for layer, _ in weights_file.cells})} layer(s)\n")  # fmt: skip
    for order, bias in dict.fromkeys(_order_and_bias(w) for w in weights_file.cells.values()):
        text.append("gate order: ", style="bold")
        text.append(order + "\n")
        text.append("bias: ", style="bold")
        text.append(bias + "\n")
    total = sum(_parameters(w) for w in weights_file.cells.values())
    if total:
        text.append("parameters: ", style="bold")
        text.append(f"{total} in the {weights_file.kind} cells\n")
    for options, where in _cell_options(weights_file).items():
        text.append("cell options: ", style="bold")
        text.append(f"{options} for {where}; step and explain use them by themselves\n")
    for sentence in weights_file.unsupported:
        text.append("cannot trace: ", style="bold red")
        text.append(sentence + "\n")
    for sentence in weights_file.notes:
        text.append("note: ", style="bold yellow")
        text.append(sentence + "\n")
    return text


def _mapping(weights_file: WeightsFile, key: CellKey) -> Text:
    weights = weights_file.cells[key]
    layer, direction = key
    text = Text()
    text.append(f"Layer {layer} ({direction}) mapping: ", style="bold")
    text.append(str(weights.provenance.get("mapping") or weights.provenance.get("description") or "canonical layout"))
    return text


def _order_and_bias(weights) -> tuple[str, str]:
    provenance = weights.provenance
    if isinstance(weights, GRUWeights):
        order = f"{provenance.get('gate_order', 'r, z, n (canonical)')} -> lstm-trace's reset, update, new"
        return order, str(provenance.get("bias", "b_r, b_z, b_in and b_hn"))
    order = f"{provenance.get('gate_order', 'f, i, c, o (canonical)')} -> lstm-trace's forget, input, candidate, output"
    return order, str(provenance.get("bias", "one bias per gate"))


def _cell_options(weights_file: WeightsFile) -> dict[str, str]:
    """The options each cell sets, as typed on a command line -> the cells that set them."""
    found: dict[str, list[str]] = {}
    for (layer, direction), weights in sorted(weights_file.cells.items()):
        options = implied_options(weights)
        if options:
            found.setdefault(options_text(options), []).append(f"layer {layer} {direction}")
    return {options: ", ".join(cells) for options, cells in found.items()}


def _parameters(weights) -> int:
    """As the file stores them (two biases count twice); for native files, counted from the arrays."""
    native = sum(int(array.size) for array in weights.as_arrays().values())
    return int(weights.provenance.get("parameters", native))
