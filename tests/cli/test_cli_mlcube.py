"""test_cli_mlcube.py: `medperf container run_test` on legacy MLCube files
(mlcube.yaml, docs/mlcube-legacy.md). Their images are Docker images, which
nothing runs here, so each test drives the converted task as far as the
native platform takes it: the mounts are bound from --mounts or from the
MLCube's workspace folder (inputs checked with the converted type, outputs
created), then the native runner refuses a Docker image, which shows the
conversion to a DockerImage config. Errors in the file name the mlcube.yaml
and its line."""
import os

import pytest

from clitools import failed, write

# examples/ChestXRay/chexpert_prep/mlcube/mlcube.yaml (reference 3.7)
CHEXPERT = """\
name: MLCommons Chexpert Preprocessor
description: MLCommons cube for preprocessing chexpert-like datasets
authors:
 - {name: "MLCommons Best Practices Working Group"}

platform:
  accelerator_count: 0

docker:
  # Image name.
  image: mlcommons/chexpert-prep:0.1.0
  build_context: "../project"
  build_file: "Dockerfile"

tasks:
  prepare:
    parameters:
      inputs: {data_path: CheXpert-v1.0-small, labels_path: CheXpert-v1.0-small/valid.csv, \
parameters_file: parameters.yaml}
      outputs: {output_path: data/}
  sanity_check:
    parameters:
      inputs: {data_path: data/, parameters_file: parameters.yaml}
  statistics:
    parameters:
      inputs: {data_path: data/, parameters_file: parameters.yaml}
      outputs: {output_path: {type: file, default: statistics.yaml}}
"""

ENGINE = "the native runner runs NativeArchive containers; this one needs a container engine"


@pytest.fixture
def dev(cli):
    return cli("mlcube_dev")


def cube(tmp_path, text=CHEXPERT, name="mlcube.yaml", workspace=True):
    """An MLCube folder: the file and, when asked, a workspace with the raw data."""
    folder = tmp_path / "chexpert_prep" / "mlcube"
    path = write(folder / name, text)
    ws = folder / "workspace"
    if workspace:
        write(ws / "CheXpert-v1.0-small" / "valid.csv", "Path,Label\n")
        write(ws / "parameters.yaml", "label_columns: [Atelectasis]\n")
    return path, str(ws)


def run_test(dev, *args):
    r = dev.run("container", "run_test", *args, "--platform", "native")
    if "the native runner needs" in r.stderr:
        pytest.skip(r.stderr.strip())
    return r


def test_converted_task_reaches_the_runner_as_a_docker_image(dev, tmp_path):
    path, ws = cube(tmp_path)
    failed(run_test(dev, "-m", path, "-t", "prepare"), 1, ENGINE)
    # output_path (data/) came from the workspace and was created there, as MLCube does
    assert os.path.isdir(os.path.join(ws, "data"))
    failed(run_test(dev, "-m", path, "-t", "statistics"), 1, ENGINE)
    assert os.path.isfile(os.path.join(ws, "statistics.yaml"))


def test_missing_mounts_default_to_the_workspace(dev, tmp_path):
    path, ws = cube(tmp_path, workspace=False)
    r = run_test(dev, "-m", path, "-t", "prepare")
    failed(r, 1, f"input data_path: '{os.path.realpath(ws)}/CheXpert-v1.0-small': "
                 "No such file or directory")
    # given mounts win; what is not given still comes from the workspace
    other = tmp_path / "elsewhere"
    other.mkdir()
    r = run_test(dev, "-m", path, "-t", "prepare", "--mounts", f"data_path={other}")
    failed(r, 1, f"input labels_path: '{os.path.realpath(ws)}/CheXpert-v1.0-small/valid.csv'")
    assert "data_path" not in r.stderr


def test_parameters_file_option_beats_the_workspace(dev, tmp_path):
    path, ws = cube(tmp_path)
    os.unlink(os.path.join(ws, "parameters.yaml"))
    failed(run_test(dev, "-m", path, "-t", "sanity_check", "--mounts", f"data_path={ws}"), 1,
           f"input parameters_file: '{os.path.realpath(ws)}/parameters.yaml'")
    params = write(tmp_path / "p.yaml", "x: 1\n")
    failed(run_test(dev, "-m", path, "-t", "sanity_check", "--mounts", f"data_path={ws}",
                    "-p", params), 1, ENGINE)


def test_types_follow_the_conversion_rule(dev, tmp_path):
    path, ws = cube(tmp_path)
    # valid.csv has an extension: a file input; a folder of that name is refused
    os.unlink(os.path.join(ws, "CheXpert-v1.0-small", "valid.csv"))
    os.mkdir(os.path.join(ws, "CheXpert-v1.0-small", "valid.csv"))
    failed(run_test(dev, "-m", path, "-t", "prepare"), 1,
           "input labels_path: ", "valid.csv' is not a file")


def test_any_name_is_recognised_by_its_content(dev, tmp_path):
    path, _ = cube(tmp_path, name="cube.yml")
    failed(run_test(dev, "-m", path, "-t", "prepare"), 1, ENGINE)


@pytest.mark.parametrize("text, line, problem", [
    (CHEXPERT.replace("platform:", "runner: {}\nplatform:"), 6,
     "unknown key 'runner' (allowed here: name, description, authors, platform, docker, "
     "singularity, tasks)"),
    (CHEXPERT.replace("  build_file", "  build_args: {}\n  build_file"), 13,
     "docker: unknown key 'build_args'"),
    (CHEXPERT.replace("  image: mlcommons/chexpert-prep:0.1.0\n", ""), 9,
     "docker.image must be given"),
    (CHEXPERT.replace("data_path: CheXpert-v1.0-small,", "data_path: /data/CheXpert,"), 18,
     "tasks.prepare.parameters.inputs.data_path: the path must be relative to the workspace "
     "folder, not absolute"),
    (CHEXPERT.replace("parameters_file: parameters.yaml}\n      outputs",
                      "parameters_file: ../parameters.yaml}\n      outputs"), 18,
     "no '..'"),
    (CHEXPERT.replace("{output_path: data/}", "{output_path: data}"), 19,
     "tasks.prepare.parameters.outputs.output_path: is it a file or a directory?"),
    (CHEXPERT.replace("{type: file, default: statistics.yaml}",
                      "{type: yaml, default: statistics.yaml}"), 26,
     "type must be file or directory"),
    (CHEXPERT.replace("  sanity_check:\n    parameters:\n", "  sanity_check: check\n  x:\n"
                      "    parameters:\n"), 20, "tasks.sanity_check: a task must be a mapping"),
    (CHEXPERT.replace("{output_path: data/}", "{output_path: data/, secrets: s/}"), 19,
     "tasks.prepare.parameters.outputs: 'secrets' is not a parameter MedPerf passes to prepare"),
    (CHEXPERT.replace("outputs: {output_path: {type: file, default: statistics.yaml}}",
                      "outputs: {}"), 23,
     "task 'statistics' must have the output parameter 'output_path'"),
])
def test_errors_name_the_mlcube_file_and_line(dev, tmp_path, text, line, problem):
    path, ws = cube(tmp_path, text)
    r = dev.run("container", "run_test", "-m", path, "-t", "prepare")
    failed(r, 1, f"{path}:{line}: ", problem)
    assert not os.path.exists(os.path.join(ws, "data"))  # nothing ran, nothing was made


def test_a_container_config_is_not_converted(dev, tmp_path):
    cfg = write(tmp_path / "container_config.yaml",
                "container_type: DockerImage\nimage: a/b:1\n"
                "docker: {image: a/b:1}\ntasks:\n  t: {run_args: {command: x}}\n")
    failed(dev.run("container", "run_test", "-m", cfg, "-t", "t"), 1,
           f"{cfg}:3: unknown key 'docker'")
