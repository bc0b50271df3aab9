"""The functions' third-party libraries, built from uv.lock into a folder the CDK app deploys as
a Lambda layer: what is deployed is exactly what the tests ran (docs/decision-log.md).

`build_dependency_layer()` runs at synth time only. It exports the project's runtime
dependencies from the lock (`uv export --frozen`, versions and hashes), installs them for the
functions' runtime and architecture (Linux ARM64 wheels, `--require-hashes`, no resolution),
and compiles their bytecode with a Python of the runtime's version: a layer is read-only in
Lambda, so a module shipped without bytecode is compiled again at every cold start. The result
is kept under `.build/dependency-layer/<digest>/` and reused while the lock, the runtime and the
interpreter stay the same; uv's download cache makes a rebuild a matter of seconds.

`build_compiled_copy()` does the same for our own code (the shared layer, each function's folder
with the repository files it names): a copy with its bytecode, under `.build/compiled/`.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from infra.cdk import constants

# Python 3.12 on Lambda is Amazon Linux 2023 (glibc 2.34); wheels for any older manylinux fit.
PLATFORM = "aarch64-manylinux_2_34"
PYTHON_ENV_VAR = "TIXPILOT_LAYER_PYTHON"  # an interpreter of the runtime's version, if not found
_BUILD_FORMAT = "1"  # bump when the steps below change what a build contains
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_NAME_END = re.compile(r"[\s\[<>=!~;@]")  # where a requirement's name ends


class DependencyLayerError(RuntimeError):
    """The dependency layer cannot be built; the message says what to do."""


@dataclass(frozen=True)
class DependencyLayerBuild:
    path: Path  # the layer's root: its python/ folder is the import root in Lambda (/opt/python)
    digest: str  # of everything the build depends on: the CDK asset hash
    versions: dict[str, str]  # normalized distribution name -> version, as the lock pins them

    @property
    def site_packages(self) -> Path:
        return self.path / "python"

    def summary(self, direct: list[str]) -> str:
        """`direct` (the project's own runtime dependencies) with their versions, for the layer's
        description: "aws-lambda-powertools 3.37.0, ... and their 10 dependencies"."""
        named = [f"{name} {self.versions[name]}" for name in sorted(map(normalize, direct))]
        return f"{', '.join(named)} and their {len(self.versions) - len(named)} dependencies"


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (`Typing_Extensions` -> `typing-extensions`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_dependencies(pyproject: Path = constants.REPO_ROOT / "pyproject.toml") -> list[str]:
    """The names in pyproject.toml's `project.dependencies` (what the functions import)."""
    requirements = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [_NAME_END.split(requirement, maxsplit=1)[0] for requirement in requirements]


def uv_executable() -> str:
    """The uv that installed .venv (the `uv` package of the infra group), else one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if not found:
        raise DependencyLayerError("uv not found: run `make run` or `make test` once to set up .venv")
    return found


def runtime_requirements(lock_file: Path = constants.LOCK_FILE) -> str:
    """The project's runtime dependencies as uv.lock pins them: requirements.txt with hashes."""
    if not lock_file.is_file():
        raise DependencyLayerError(f"{lock_file} is missing: run `.venv/bin/uv lock`")
    command = [
        uv_executable(),
        "export",
        "--frozen",
        "--no-default-groups",
        "--no-emit-project",
        "--no-header",
        "--no-annotate",
        "--format",
        "requirements.txt",
        "--project",
        str(lock_file.parent),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DependencyLayerError(f"uv export failed: {done.stderr.strip()}")
    return done.stdout


def pinned_versions(requirements: str) -> dict[str, str]:
    """{normalized name: version} of a `uv export` requirements text."""
    found = {}
    for line in requirements.splitlines():
        match = _PINNED.match(line)
        if match:
            found[normalize(match.group(1))] = match.group(2)
    return found


def find_python(version: str) -> tuple[Path, str]:
    """An interpreter of `version` (e.g. "3.12") and its full version, to compile bytecode with.

    Tried in order: $TIXPILOT_LAYER_PYTHON, `python<version>` on PATH, pyenv's versions (a pyenv
    shim on PATH only runs the version pyenv selects), then uv's own Python installs."""
    candidates: list[str] = []
    if os.environ.get(PYTHON_ENV_VAR):
        candidates.append(os.environ[PYTHON_ENV_VAR])
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True)
    managed = subprocess.run(
        [uv_executable(), "python", "find", "--managed-python", version],
        capture_output=True,
        text=True,
        check=False,
    )
    if managed.returncode == 0 and managed.stdout.strip():
        candidates.append(managed.stdout.strip())
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            check=False,
        )
        full = probe.stdout.strip()
        if probe.returncode == 0 and full.startswith(f"{version}."):
            return Path(candidate), full
    raise DependencyLayerError(
        f"no Python {version} found to compile the dependency layer's bytecode for the "
        f"python{version} Lambda runtime (tried {candidates or 'nothing'}): install one "
        f"(`uv python install {version}`, pyenv, ...) or set {PYTHON_ENV_VAR}=/path/to/python{version}"
    )


def build_dependency_layer(
    python_version: str,
    *,
    lock_file: Path = constants.LOCK_FILE,
    build_root: Path = constants.DEPENDENCY_LAYER_BUILD_DIR,
) -> DependencyLayerBuild:
    """The layer folder for `python_version` (e.g. "3.12"), built now unless already built."""
    requirements = runtime_requirements(lock_file)
    python, python_full = find_python(python_version)
    digest = hashlib.sha256(
        "\n".join((_BUILD_FORMAT, PLATFORM, python_full, requirements)).encode()
    ).hexdigest()[:32]
    built = DependencyLayerBuild(build_root / digest, digest, pinned_versions(requirements))
    if built.path.is_dir():
        return built

    # Built beside its final place and renamed into it, so a synth never sees half a layer and
    # two synths at once (the test workers) both end with the same folder.
    build_root.mkdir(parents=True, exist_ok=True)
    staging = build_root / f".staging-{digest}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        (staging / "requirements.txt").write_text(requirements)
        _install(staging / "requirements.txt", staging / "layer" / "python", python)
        shutil.rmtree(staging / "layer" / "python" / "bin", ignore_errors=True)  # console scripts
        _compile(staging / "layer" / "python", python)
        try:
            (staging / "layer").rename(built.path)
        except OSError:
            if not built.path.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_other_builds(build_root, keep=digest)
    return built


def build_compiled_copy(
    source: Path,
    python_version: str,
    *,
    build_root: Path = constants.COMPILED_CODE_BUILD_DIR,
    excludes: tuple[str, ...] = tuple(constants.ASSET_EXCLUDES),
    extra_files: tuple[Path, ...] = (),
) -> tuple[Path, str]:
    """A copy of `source` (our own code: the shared layer, a function's folder) with its
    bytecode compiled for `python_version`, as the dependency layer's, and `extra_files` at its
    root: `(folder, digest)`, the digest over the files' paths and contents and the
    interpreter, reused while they stay the same."""
    python, python_full = find_python(python_version)
    ignore = shutil.ignore_patterns(*excludes)
    files = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source)
        if any(ignore(str(path.parent), [part]) for part in relative.parts):
            continue
        files.append(f"{relative.as_posix()}\0{hashlib.sha256(path.read_bytes()).hexdigest()}")
    files += [f"+{extra.name}\0{hashlib.sha256(extra.read_bytes()).hexdigest()}" for extra in extra_files]
    digest = hashlib.sha256("\n".join((_BUILD_FORMAT, python_full, *files)).encode()).hexdigest()[:32]
    built = build_root / source.name / digest
    if built.is_dir():
        return built, digest
    built.parent.mkdir(parents=True, exist_ok=True)
    staging = built.parent / f".staging-{digest}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(source, staging, ignore=ignore)
        for extra in extra_files:
            shutil.copyfile(extra, staging / extra.name)
        _compile(staging, python)
        try:
            staging.rename(built)
        except OSError:
            if not built.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_other_builds(built.parent, keep=digest)
    return built, digest


def _install(requirements: Path, target: Path, python: Path) -> None:
    command = [
        uv_executable(),
        "pip",
        "install",
        "--quiet",
        "--target",
        str(target),
        "--python",
        str(python),
        "--python-platform",
        PLATFORM,
        "--only-binary",
        ":all:",
        "--no-deps",
        "--require-hashes",
        "--requirement",
        str(requirements),
    ]
    # From uv's cache when it has every wheel (no index needed), else from the index.
    offline = subprocess.run([*command, "--offline"], capture_output=True, text=True, check=False)
    if offline.returncode == 0:
        return
    shutil.rmtree(target, ignore_errors=True)
    online = subprocess.run(command, capture_output=True, text=True, check=False)
    if online.returncode != 0:
        raise DependencyLayerError(
            f"installing the locked runtime dependencies for {PLATFORM} failed:\n{online.stderr.strip()}"
        )


def _compile(site_packages: Path, python: Path) -> None:
    # unchecked-hash: Lambda unpacks the layer with other mtimes than the build's, which would
    # make timestamp-checked bytecode stale and compiled again in memory at every cold start.
    options = ["-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    done = subprocess.run(
        [str(python), "-m", "compileall", *options, str(site_packages)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DependencyLayerError(f"compiling the dependency layer failed:\n{done.stdout}{done.stderr}")


def _remove_other_builds(build_root: Path, *, keep: str) -> None:
    for entry in build_root.iterdir():
        if entry.name != keep and not entry.name.startswith(".staging-"):
            shutil.rmtree(entry, ignore_errors=True)
