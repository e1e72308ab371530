"""`lstm-trace weights inspect|convert`: what a weights file holds, and the same cell in another framework."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..render.console import make_console
from .options import DISPLAY, Direction, Layer, Precision

weights_app = typer.Typer(
    help="Inspect LSTM weights files (PyTorch, safetensors, Keras, ONNX, native) and convert between them.",
    no_args_is_help=True,
    add_completion=False,
)

WeightsPath = Annotated[
    Path,
    typer.Argument(metavar="PATH", help="A .pt/.pth, .safetensors, .keras, .weights.h5, .onnx, .npz or .json file."),
]


@weights_app.command("inspect")
def inspect(
    path: WeightsPath,
    layer: Layer = None,
    direction: Direction = None,
    precision: Precision = 4,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Units shown per gate in the bias table.", rich_help_panel=DISPLAY)
    ] = 8,
) -> None:
    """What a file holds: framework, layers, directions, H, I, gate order, biases, parameters, untraceable features."""
    from ..render.tables import TableOptions
    from ..render.weights_file import inspect_view
    from ..weights import read_weight_cells
    from ..weights.layers import select_key

    _check_readable_type(path)
    weights_file = read_weight_cells(path, allow_unsupported=True)
    if layer is None and direction is None:
        shown = sorted(weights_file.cells) if len(weights_file.cells) == 1 else []
    else:
        shown = [select_key(weights_file, layer, direction)]
    console = make_console()
    for view in inspect_view(weights_file, shown, TableOptions(precision=precision, max_rows=max_rows)):
        console.print(view)


@weights_app.command("convert")
def convert(
    path: WeightsPath,
    to: Annotated[str, typer.Option("--to", help="pytorch, keras, onnx, safetensors or npz.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (atomically).")],
    layer: Layer = None,
    direction: Direction = None,
) -> None:
    """Write one LSTM cell in another framework's layout, gate order and bias convention."""
    from ..weights import LayerSelection
    from ..weights.stated_options import options_text
    from ..weights.convert import convert_weights
    from ..weights.gru_weights import GRUWeights

    if output.resolve() == path.resolve():
        raise UsageError(f"-o '{output}' is the file being converted; write to another file.")
    _check_readable_type(path)
    conversion = convert_weights(path, to, output, LayerSelection(layer, direction))
    weights = conversion.weights
    console = make_console()
    console.print(
        f"Wrote {output}: {weights.provenance.get('framework', 'native')} → {conversion.target.label}, "
        f"H = {weights.hidden_size}, I = {weights.input_size}.",
        markup=False,
    )
    console.print(f"Layout: {conversion.layout}.", markup=False)
    if conversion.options:
        console.print(f"Cell options written with it: {options_text(conversion.options)}.", markup=False)
    if conversion.kept_two_biases:
        console.print("Both stored biases were written as they were.", markup=False)
    elif weights.provenance.get("bias", "").startswith("two"):
        if isinstance(weights, GRUWeights):
            console.print("The two stored biases of r and z were written as their sums; the new state's b_in and "
                          "b_hn stay apart.", markup=False)  # fmt: skip
        else:
            console.print("The two stored biases were written as their sum (the target has one bias).", markup=False)
    console.print(f"Load it with: {conversion.usage}", markup=False)


def _check_readable_type(path: Path) -> None:
    from ..weights import READERS

    if path.suffix.lower() not in READERS:
        raise UsageError(
            f"'{path}' is not a weights file type lstm-trace reads; it reads {', '.join(sorted(READERS))} "
            f"(Keras weights as .weights.h5)."
        )
