"""`lstm-trace presets`: the scenario files that ship with the package."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..io.scenarios import load_scenario, scenario_names
from ..render.console import make_console
from ..weights import PRESET_NAMES


def list_presets() -> None:
    """List the scenario presets (use with --preset NAME) and the weight presets."""
    table = Table(title="Scenario presets (--preset NAME)", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("H×I", justify="right")
    table.add_column("what it shows")
    for name in scenario_names():
        scenario = load_scenario(name)
        # Text, not str: descriptions hold brackets such as [h ; x] that are not Rich markup.
        table.add_row(name, f"{len(scenario.h)}×{len(scenario.x)}", Text(f"{scenario.title}: {scenario.description}"))
    console = make_console()
    console.print(table)
    console.print(f"Weight presets (--weights NAME): {', '.join(PRESET_NAMES)}; or a .npz/.json weights file.")
