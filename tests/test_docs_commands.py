"""The commands and snippets that README.md and docs/*.md show, run against this checkout.

Each page is played in document order in a temporary directory of its own, so a file that one block
makes (a snippet's `torch.save(...)`, a command's `-o a.json`) is there for the blocks after it.

What is checked:

- ```console blocks. Each line `$ lstm-trace ARGS` is run in-process with Typer's CliRunner, with
  NO_COLOR=1 and COLUMNS=90, or the width the block's info string names (```console width=100). The
  lines after it, up to the next `$ ` line or the end of the block, must be its output (standard output
  and error as they interleave): exactly, once trailing whitespace is stripped from every line and
  trailing empty lines are dropped. A line `...` stands for any run of lines, none included, so a page
  can show an excerpt. The exit code is not checked: an error's message is the output shown.
- ```python blocks are executed with exec() in a fresh namespace, the page's directory as cwd. A block
  that imports anything but numpy, lstm_trace and the standard library (torch, keras, onnx, ...) is
  skipped when that package is not installed. A ```output block right after it is what the block
  prints, compared as a console block's output is.
- ```bash blocks are not run by a shell. Every `lstm-trace ...` (or `python -m lstm_trace ...`) command
  in them, after a pipe too, is parsed by the app's own Click parser: the subcommand and every option
  exist and every value converts. Those that read no standard input (`-`, or a pipe into them) and
  need no file the page has not made are also run in-process and must exit with code 0.

Not checked: the output of ```bash commands, the rest of a shell line (python -c, printf, pipes,
redirects), ```text and ```json blocks (illustrations, not transcripts), and the prose.

A console block's command that needs a file which only a skipped snippet would have made is skipped
with it. Expected outputs are pasted from real runs; when a change alters an output on purpose, run
the command (`NO_COLOR=1 COLUMNS=90 python -m lstm_trace ...`) and paste the new one.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import importlib.util
import io
import os
import re
import shlex
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT_COLUMNS = 90

FENCE = re.compile(r"^(```+|~~~+)\s*(\S*)\s*(.*)$")
WIDTH = re.compile(r"\bwidth=(\d+)\b")
# Arguments that name a file the command reads, by how they end; the values of these options are files it writes.
INPUT_SUFFIXES = (".pt", ".pth", ".onnx", ".keras", ".h5", ".safetensors", ".npz", ".npy", ".json", ".jsonl",
                  ".csv", ".txt")  # fmt: skip
OUTPUT_OPTIONS = {"-o", "--output", "--export"}
ALLOWED_IMPORTS = {"numpy", "lstm_trace"}


class DocMismatch(Exception):
    """What a doc shows is not what runs: the message names the page, the line and the difference."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DocMismatch(message)


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    kind: str  # the info string's first word
    options: str  # the rest of the info string
    lines: list[str]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def fenced_blocks(page: Path) -> list[Block]:
    blocks, current, fence = [], None, ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            match = FENCE.match(line)
            if match:
                fence = match.group(1)
                current = Block(page, number, match.group(2), match.group(3), [])
        elif line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            blocks.append(current)
            current = None
        else:
            current.lines.append(line)
    assert current is None, f"{page.name}: the block opened at line {current.line} is never closed"
    return blocks


def normalised(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def shows(expected: list[str], actual: list[str]) -> bool:
    """Whether `actual` is `expected`, each line `...` in it standing for any run of lines (none too)."""
    segments: list[list[str]] = [[]]
    for line in expected:
        if line == "...":
            segments.append([])
        else:
            segments[-1].append(line)
    if len(segments) == 1:
        return expected == actual
    first, middle, last = segments[0], segments[1:-1], segments[-1]
    end = len(actual) - len(last)
    if actual[: len(first)] != first or end < len(first) or actual[end:] != last:
        return False
    position = len(first)
    for segment in middle:
        starts = range(position, end - len(segment) + 1)
        found = next((at for at in starts if actual[at : at + len(segment)] == segment), None)
        if found is None:
            return False
        position = found + len(segment)
    return True


def mismatch(block: Block, what: str, expected: list[str], actual: list[str]) -> str:
    diff = "\n".join(difflib.unified_diff(expected, actual, "the doc shows", "it prints", lineterm=""))
    return f"{block.where}: {what} prints something else than the doc shows\n{diff}"


def crash(result) -> str:
    """The traceback of an exception the command did not turn into a message (CliRunner keeps it)."""
    error = result.exception
    if error is None or isinstance(error, SystemExit):
        return ""
    return "\nThe command raised:\n" + "".join(traceback.format_exception(type(error), error, error.__traceback__))


def command_args(tokens: list[str]) -> list[str] | None:
    """The arguments after `lstm-trace` or `python -m lstm_trace`, or None for another program."""
    if tokens[:1] == ["lstm-trace"]:
        return tokens[1:]
    if len(tokens) >= 3 and tokens[0] in ("python", "python3") and tokens[1:3] == ["-m", "lstm_trace"]:
        return tokens[3:]
    return None


def files_read(args: list[str]) -> list[str]:
    wanted = []
    for before, arg in zip(["", *args], args):
        if before in OUTPUT_OPTIONS or arg.startswith(("-o=", "--output=", "--export=")):
            continue
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        value = value.removeprefix("@")
        if value.endswith(INPUT_SUFFIXES) and not value.startswith("-"):
            wanted.append(value)
    return wanted


def imported_packages(tree: ast.Module) -> set[str]:
    """The top-level packages a snippet imports, other than numpy, lstm_trace and the standard library."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names - ALLOWED_IMPORTS - set(sys.stdlib_module_names)


def without_code(page: Path) -> str:
    """The page's text with its fenced blocks taken out: links and headings in code are not links or headings."""
    return re.sub(r"^(```|~~~).*?^\1", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)


def parse_only(args: list[str]) -> None:
    """Run the app's Click parser over ARGS down to the subcommand, without invoking anything.

    Raises the parser's usage error (an unknown command or option, a value that does not convert, a
    missing required option). Duck-typed: Typer 0.27 brings its own copy of Click, older ones use Click.
    """
    from lstm_trace.cli import app

    command = typer.main.get_command(app)
    context = command.make_context("lstm-trace", list(args))
    while hasattr(command, "resolve_command"):  # a group: the first argument names a subcommand
        protected = getattr(context, "_protected_args", None)
        protected = context.protected_args if protected is None else protected
        name, command, rest = command.resolve_command(context, [*protected, *context.args])
        context = command.make_context(name, rest, parent=context)


@contextlib.contextmanager
def working_directory(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class PageRun:
    """One page played in order in its own directory; each block runs once, whichever test asks first."""

    directory: Path
    blocks: list[Block]
    outcomes: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (passed | skipped | failed, why)

    def outcome(self, index: int) -> tuple[str, str]:
        for earlier in range(index + 1):
            if earlier not in self.outcomes:
                with working_directory(self.directory):
                    self.outcomes[earlier] = self.play(self.blocks[earlier], earlier)
        return self.outcomes[index]

    def skipped_before(self, index: int) -> str | None:
        skips = [why for at, (state, why) in sorted(self.outcomes.items()) if at < index and state == "skipped"]
        return skips[0] if skips else None

    def play(self, block: Block, index: int) -> tuple[str, str]:
        try:
            if block.kind == "console":
                return self.console(block, index)
            if block.kind == "python":
                return self.python(block, index)
            if block.kind == "bash":
                return self.bash(block)
        except DocMismatch as error:
            return "failed", str(error)
        except Exception:  # a snippet or command that breaks: its own traceback says where
            return "failed", f"{block.where}: the {block.kind} block fails:\n{traceback.format_exc(limit=-3)}"
        return "passed", ""

    def invoke(self, args: list[str], columns: int):
        from lstm_trace.cli import app

        return CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": str(columns)})

    def console(self, block: Block, index: int) -> tuple[str, str]:
        width = WIDTH.search(block.options)
        columns = int(width.group(1)) if width else DEFAULT_COLUMNS
        starts_well = bool(block.lines) and block.lines[0].startswith("$ ")
        check(starts_well, f"{block.where}: a console block starts with `$ lstm-trace`")
        commands: list[tuple[str, list[str]]] = []
        lines = iter(block.lines)
        for line in lines:
            if line.startswith("$ "):
                text = line[2:]
                while text.endswith("\\"):
                    text = text[:-1] + " " + next(lines).strip()
                commands.append((text, []))
            else:
                commands[-1][1].append(line)
        skipped = []
        for text, shown in commands:
            args = command_args(shlex.split(text, comments=True))
            check(args is not None, f"{block.where}: `{text}` is not an lstm-trace command (shell goes in ```bash)")
            missing = [name for name in files_read(args) if not Path(name).exists()]
            earlier_skip = self.skipped_before(index)
            if missing and earlier_skip:
                skipped.append(f"`{text}` needs {', '.join(missing)}; {earlier_skip}")
                continue
            result = self.invoke(args, columns)
            expected, actual = normalised(shown), normalised(result.output.splitlines())
            check(shows(expected, actual), mismatch(block, f"`{text}`", expected, actual) + crash(result))
        return ("skipped", "; ".join(skipped)) if skipped else ("passed", "")

    def python(self, block: Block, index: int) -> tuple[str, str]:
        source = "\n".join(block.lines) + "\n"
        tree = ast.parse(source, filename=block.where)
        # find_spec, not importorskip: importing keras before the snippet sets KERAS_BACKEND would fail
        absent = sorted(name for name in imported_packages(tree) if importlib.util.find_spec(name) is None)
        if absent:
            return "skipped", f"the snippet at {block.where} needs {', '.join(absent)}, which is not installed"
        printed = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            # the frameworks' own notices (the legacy ONNX exporter, its tracer) are not the snippet's business;
            # a RuntimeWarning (an overflow in NumPy) still fails, as everywhere in the suite
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", RuntimeWarning)
            exec(compile(tree, block.where, "exec"), {"__name__": "__docs__"})
        following = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
        if following is not None and following.kind == "output":
            expected, actual = normalised(following.lines), normalised(printed.getvalue().splitlines())
            check(shows(expected, actual), mismatch(block, "the snippet", expected, actual))
        return "passed", ""

    def bash(self, block: Block) -> tuple[str, str]:
        text = "\n".join(block.lines).replace("\\\n", " ")
        for line in text.splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens, segment, before = list(lexer), [], ""
            for token in [*tokens, ";"]:
                if token and set(token) <= set("();<>|&"):
                    self.shell_command(block, segment, piped=before == "|")
                    segment, before = [], token
                else:
                    segment.append(token)
        return "passed", ""

    def shell_command(self, block: Block, tokens: list[str], piped: bool) -> None:
        args = command_args(tokens)
        if args is None:
            return
        text = shlex.join(["lstm-trace", *args])
        try:
            parse_only(args)
        except Exception as error:
            if not hasattr(error, "format_message"):  # not a usage error: a bug, with its traceback
                raise
            raise DocMismatch(f"{block.where}: `{text}` does not parse: {error.format_message()}") from None
        reads_input = piped or "-" in args or any(arg.endswith("=-") for arg in args)
        if reads_input or any(not Path(name).exists() for name in files_read(args)):
            return
        result = self.invoke(args, DEFAULT_COLUMNS)
        failure = f"{block.where}: `{text}` exits with {result.exit_code}:\n{result.output}{crash(result)}"
        check(result.exit_code == 0, failure)


def checked(block: Block) -> bool:
    shell_with_ours = block.kind == "bash" and re.search(r"lstm-trace|-m lstm_trace", "\n".join(block.lines))
    return block.kind in ("console", "python") or bool(shell_with_ours)


BLOCKS = {page: fenced_blocks(page) for page in PAGES}
CHECKED = [(page, index) for page, blocks in BLOCKS.items() for index, block in enumerate(blocks) if checked(block)]
IDS = [f"{BLOCKS[page][index].where}:{BLOCKS[page][index].kind}" for page, index in CHECKED]


@pytest.fixture(scope="module")
def page_runs(tmp_path_factory) -> dict[Path, PageRun]:
    return {page: PageRun(tmp_path_factory.mktemp(page.stem), blocks) for page, blocks in BLOCKS.items()}


@pytest.mark.parametrize(("page", "index"), CHECKED, ids=IDS)
def test_the_docs_show_what_runs(page_runs, page, index):
    state, why = page_runs[page].outcome(index)
    if state == "skipped":
        pytest.skip(why)
    if state == "failed":
        pytest.fail(why, pytrace=False)


def test_the_docs_have_commands_to_check():
    """A parser that found nothing would pass every page: the README and the reference must have transcripts."""
    console = {page.name for page, index in CHECKED if BLOCKS[page][index].kind == "console"}
    assert {"README.md", "commands.md"} <= console
    assert any(BLOCKS[page][index].kind == "python" for page, index in CHECKED)


def test_the_checks_can_fail():
    """The matcher and the parser refuse what they should; otherwise every page would pass."""
    assert shows(["a", "...", "d"], ["a", "b", "c", "d"]) and shows(["a", "...", "b"], ["a", "b"])
    assert not shows(["a", "...", "d"], ["a", "b"]) and not shows(["a"], ["a", "b"])
    assert not shows(["...", "c", "...", "b", "..."], ["a", "b", "c"])  # segments keep their order
    with pytest.raises(Exception, match="--no-such-option"):
        parse_only(["step", "--no-such-option"])
    with pytest.raises(Exception, match="nonsense"):
        parse_only(["weights", "nonsense"])


def anchors(page: Path) -> set[str]:
    """The #fragments GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+\s+(.*?)\s*$", without_code(page), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_relative_links_lead_to_files_and_headings(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", without_code(page)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (fragment and linked.suffix == ".md" and fragment not in anchors(linked)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to files or headings that are not there: {broken}"
