"""What is deployed is what was tested: every function's third-party libraries are the layer
built from uv.lock (infra/cdk/dependency_layer.py), at the versions these tests run, for the
functions' runtime (python3.12) and architecture (arm64), with bytecode Lambda will use."""

from __future__ import annotations

import hashlib
import importlib.metadata
import tomllib
from email.parser import HeaderParser
from pathlib import Path

import pytest

from infra.cdk import constants
from infra.cdk.dependency_layer import (
    DependencyLayerBuild,
    build_compiled_copy,
    build_dependency_layer,
    direct_dependencies,
    normalize,
)

pytestmark = pytest.mark.infra

ELF_MACHINE_AARCH64 = 183
PYC_UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


@pytest.fixture(scope="module")
def built() -> DependencyLayerBuild:
    return build_dependency_layer("3.12")  # the synth's own build, reused from .build/


def _distributions(built: DependencyLayerBuild) -> dict[str, str]:
    found = {}
    for info in built.site_packages.glob("*.dist-info"):
        metadata = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        found[normalize(metadata["Name"])] = metadata["Version"]
    return found


def _locked() -> dict[str, set[str]]:
    lock = tomllib.loads(constants.LOCK_FILE.read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        versions.setdefault(normalize(package["name"]), set()).add(package.get("version", ""))
    return versions


def test_layer_holds_exactly_the_locked_runtime_dependencies(built):
    in_layer = _distributions(built)
    assert in_layer == built.versions, "the layer is the export of uv.lock, nothing more or less"
    assert {normalize(name) for name in direct_dependencies()} <= set(in_layer)
    assert {"pydantic", "pydantic-core"} <= set(in_layer), "Lambda's runtime has no pydantic"
    locked = _locked()
    assert {name: v for name, v in in_layer.items() if v not in locked.get(name, set())} == {}


def test_the_tests_run_the_versions_the_layer_deploys(built):
    installed = {name: importlib.metadata.version(name) for name in built.versions}
    assert installed == built.versions


def test_compiled_code_is_for_arm64_and_python312(built):
    libraries = sorted(built.site_packages.rglob("*.so"))
    assert libraries, "pydantic-core at least ships a compiled module"
    for library in libraries:
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, library
        assert "cpython-312" in library.name or ".abi3." in library.name, library


def test_every_module_has_bytecode_that_lambda_uses_as_is(built):
    sources = sorted(built.site_packages.rglob("*.py"))
    assert len(sources) > 100
    stale = []
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little") if compiled.is_file() else None
        if flags != PYC_UNCHECKED_HASH:
            stale.append(str(source.relative_to(built.site_packages)))
    assert stale == []


def test_every_function_deploys_the_dependency_layer(synthesized, built):
    # CDK keys an asset with a custom hash by the SHA-256 of that hash.
    key = f"{hashlib.sha256(built.digest.encode()).hexdigest()}.zip"
    functions = [
        (template, function)
        for template in synthesized.templates.values()
        for function in template.of_type("AWS::Lambda::Function").values()
    ]
    assert functions
    for template, function in functions:
        layers = [template.resources[template.referenced_id(ref)] for ref in function["Properties"]["Layers"]]
        keys = [layer["Properties"]["Content"]["S3Key"] for layer in layers]
        assert key in keys, function["Properties"]["FunctionName"]


def test_our_own_code_is_deployed_with_bytecode_lambda_uses_as_is(synthesized):
    """The shared layer (tixpilot) is a compiled copy of layers/shared: every module with its
    unchecked-hash bytecode, nothing the asset excludes, and it is the layer every function gets."""
    copy, digest = build_compiled_copy(constants.SHARED_LAYER_DIR, "3.12")
    sources = sorted((copy / "python").rglob("*.py"))
    originals = sorted((constants.SHARED_LAYER_DIR / "python").rglob("*.py"))
    assert [s.relative_to(copy) for s in sources] == [
        o.relative_to(constants.SHARED_LAYER_DIR) for o in originals if "__pycache__" not in o.parts
    ]
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        assert int.from_bytes(compiled.read_bytes()[4:8], "little") == PYC_UNCHECKED_HASH, source
    key = f"{hashlib.sha256(digest.encode()).hexdigest()}.zip"
    for template in synthesized.templates.values():
        for function in template.of_type("AWS::Lambda::Function").values():
            layers = [template.resources[template.referenced_id(r)] for r in function["Properties"]["Layers"]]
            assert key in [layer["Properties"]["Content"]["S3Key"] for layer in layers]


def test_each_function_deploys_its_handler_with_bytecode_and_the_files_it_names(synthesized):
    """A function's asset is its folder compiled, plus `FunctionDef.files` (the OpenAPI
    function's committed document), and it is the code the synthesized function deploys."""
    from infra.definitions.functions import FUNCTIONS

    deployed = {
        function["Properties"]["FunctionName"]: function["Properties"]["Code"]["S3Key"]
        for template in synthesized.templates.values()
        for function in template.of_type("AWS::Lambda::Function").values()
        if isinstance(function["Properties"].get("FunctionName"), str)
    }
    for definition in FUNCTIONS.values():
        copy, digest = build_compiled_copy(
            constants.FUNCTIONS_DIR / definition.id,
            "3.12",
            extra_files=tuple(constants.REPO_ROOT / f for f in definition.files),
        )
        compiled = copy / "__pycache__" / "handler.cpython-312.pyc"
        assert int.from_bytes(compiled.read_bytes()[4:8], "little") == PYC_UNCHECKED_HASH, definition.id
        for name in definition.files:
            assert (copy / Path(name).name).read_bytes() == (constants.REPO_ROOT / name).read_bytes()
        key = f"{hashlib.sha256(digest.encode()).hexdigest()}.zip"
        assert [n for n, k in deployed.items() if n.endswith(f"-{definition.id}") and k == key], definition.id
    assert FUNCTIONS["api_openapi"].files == ("docs/openapi.json",)
