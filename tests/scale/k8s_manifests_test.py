"""The Kubernetes manifests of deploy/k8s against the image docker/Dockerfile builds: the fields
that make the batch Job shard correctly, volumes and variables that resolve, the image's
unprivileged user, and every command the containers run present in the image (a program or a
script that `cmake --install` puts under /usr/local). tools/check_image.sh runs these command
lines in the image itself.

Usage: /usr/bin/python3 tests/scale/k8s_manifests_test.py  (needs python3-yaml)
"""
import os
import re
import unittest
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "deploy" / "k8s"
DOCKERFILE = REPO / "docker" / "Dockerfile"
# GNUInstallDirs' defaults, for the destinations of the install rules.
INSTALL_DIRS = {"CMAKE_INSTALL_BINDIR": "bin", "CMAKE_INSTALL_DATADIR": "share"}


def manifests():
    """Every object of deploy/k8s/*.yaml, by (kind, name)."""
    objects = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def image_tag():
    """The tag the Dockerfile's header tells users to build with (`docker build ... -t TAG .`)."""
    match = re.search(r"docker build .*-t (\S+) \.", DOCKERFILE.read_text())
    assert match, "docker/Dockerfile documents no `docker build ... -t TAG .`"
    return match.group(1)


def install_prefix():
    """The prefix of the Dockerfile's `cmake --install build`: CMake's default unless --prefix."""
    match = re.search(r"cmake --install build( --prefix (\S+))?", DOCKERFILE.read_text())
    assert match, "docker/Dockerfile does not run cmake --install build"
    return match.group(2) or "/usr/local"


def image_user():
    """The Dockerfile's last USER, i.e. the image's."""
    users = re.findall(r"^USER (\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    return users[-1] if users else "root"


def cmake_files():
    return [p for p in REPO.glob("**/CMakeLists.txt") if not p.relative_to(REPO).parts[0].startswith("build")]


def installed_programs():
    """Names of the targets installed as programs: install(TARGETS ... RUNTIME DESTINATION ...)."""
    programs = set()
    for cmake in cmake_files():
        for targets in re.findall(r"install\(TARGETS ([^)]*?) RUNTIME DESTINATION", cmake.read_text()):
            programs.update(targets.split())
    return programs


def installed_files():
    """Where install(PROGRAMS|FILES ... DESTINATION ...) puts each file, relative to the prefix,
    and whether it is a program: {path in the image: (file in the checkout, is a program)}."""
    files = {}
    for cmake in cmake_files():
        for kind, sources, destination in re.findall(
                r"install\((PROGRAMS|FILES)\s+([^)]*?)\s+DESTINATION\s+([^\s)]+)", cmake.read_text()):
            variables = re.findall(r"\$\{(\w+)\}", destination)
            if not set(variables) <= INSTALL_DIRS.keys():
                continue  # not where the manifests look (headers, the model, the plugin)
            destination = re.sub(r"\$\{(\w+)\}", lambda m: INSTALL_DIRS[m.group(1)], destination)
            for source in sources.split():
                source = Path(source.replace("${PROJECT_SOURCE_DIR}", str(REPO)))
                path = cmake.parent / source if not source.is_absolute() else source
                files[f"{destination}/{path.name}"] = (path, kind == "PROGRAMS")
    return files


def containers(workload):
    return workload["spec"]["template"]["spec"]["containers"]


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = manifests()
        cls.job = cls.objects[("Job", "scorecam-batch")]
        cls.deployments = [o for (kind, _), o in cls.objects.items() if kind == "Deployment"]
        cls.workloads = [cls.job] + cls.deployments

    def test_there_is_a_camera_deployment(self):
        self.assertTrue(self.deployments)

    def test_batch_job_is_indexed_with_one_shard_per_completion(self):
        spec = self.job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        self.assertLessEqual(spec["parallelism"], spec["completions"])
        (container,) = containers(self.job)
        line = container["command"] + container["args"]
        shard = line[line.index("--shard") + 1]
        match = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/(\d+)", shard)
        self.assertTrue(match, f"--shard {shard}: expected $(JOB_COMPLETION_INDEX)/N")
        self.assertEqual(int(match.group(1)), spec["completions"], "shard count != completions")
        self.assertIn(spec["template"]["spec"]["restartPolicy"], ("Never", "OnFailure"))

    def test_images_are_the_dockerfile_tag(self):
        tag = image_tag()
        expected = tag if ":" in tag else tag + ":latest"
        for workload in self.workloads:
            for container in containers(workload):
                self.assertEqual(container["image"], expected, workload["metadata"]["name"])

    def test_volume_mounts_resolve_to_objects_defined_here_and_cover_the_paths_used(self):
        for workload in self.workloads:
            pod = workload["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            for volume in volumes.values():
                if "configMap" in volume:
                    self.assertIn(("ConfigMap", volume["configMap"]["name"]), self.objects)
                else:
                    self.assertIn(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]), self.objects)
            for container in pod["containers"]:
                mounts = [m["mountPath"].rstrip("/") + "/" for m in container["volumeMounts"]]
                for mount in container["volumeMounts"]:
                    self.assertIn(mount["name"], volumes)
                for arg in container["args"]:
                    if arg.startswith("/"):
                        self.assertTrue(any((arg + "/").startswith(m) for m in mounts), f"{arg} is not on a volume")

    def test_camera_lists_are_keys_of_the_mounted_config_maps(self):
        for workload in self.deployments:
            pod = workload["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            for container in pod["containers"]:
                line = container["command"] + container["args"]
                if "--cameras" not in line:
                    continue
                cameras = line[line.index("--cameras") + 1]
                (mount,) = [m for m in container["volumeMounts"] if cameras.startswith(m["mountPath"].rstrip("/") + "/")]
                config_map = self.objects[("ConfigMap", volumes[mount["name"]]["configMap"]["name"])]
                self.assertIn(os.path.relpath(cameras, mount["mountPath"]), config_map["data"])

    def test_cameras_get_longer_to_stop_than_a_segment_takes_to_finish(self):
        """The grace period between SIGTERM and SIGKILL must let every camera finish its segment."""
        match = re.search(r"constexpr int kFinishSeconds = (\d+);", (REPO / "apps/camera/connection.h").read_text())
        self.assertTrue(match, "apps/camera/connection.h has no kFinishSeconds")
        for workload in self.deployments:
            pod = workload["spec"]["template"]["spec"]
            if any("scorecam-camera" in c["command"][0] for c in pod["containers"]):
                self.assertGreater(pod.get("terminationGracePeriodSeconds", 30), int(match.group(1)))

    def test_variables_in_args_are_defined(self):
        for workload in self.workloads:
            for container in containers(workload):
                defined = {e["name"] for e in container.get("env", [])}
                for source in container.get("envFrom", []):
                    config_map = self.objects[("ConfigMap", source["configMapRef"]["name"])]
                    defined.update(config_map["data"])
                for arg in container["args"]:
                    for name in re.findall(r"\$\((\w+)\)", arg):
                        self.assertIn(name, defined, f"{workload['metadata']['name']}: $({name})")

    def test_resources_are_requested_and_limited(self):
        for workload in self.workloads:
            for container in containers(workload):
                for key in ("requests", "limits"):
                    self.assertIn("cpu", container["resources"][key])
                    self.assertIn("memory", container["resources"][key])

    def test_pods_run_as_the_images_unprivileged_user(self):
        uid = image_user().split(":")[0]
        # Numeric, or the kubelet cannot check runAsNonRoot.
        self.assertRegex(uid, r"^[1-9][0-9]*$", f"docker/Dockerfile's USER {image_user()}")
        for workload in self.workloads:
            self.assertTrue(workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"])

    def test_commands_exist_in_the_image(self):
        prefix = install_prefix() + "/"
        programs = installed_programs()
        files = installed_files()
        self.assertIn("scorecam-annotate", programs)
        for workload in self.workloads:
            for container in containers(workload):
                command = container["command"][0]
                self.assertTrue(command.startswith(prefix), f"{command}: not under the install prefix {prefix}")
                installed = command[len(prefix):]
                if installed in files:
                    script, is_program = files[installed]
                    self.assertTrue(script.is_file(), f"{command}: no {script} in the checkout")
                    self.assertTrue(is_program and os.access(script, os.X_OK), f"{command} is not executable")
                    text = script.read_text()
                    # What the script sources from its folder is installed beside it.
                    for name in re.findall(r'source "\$\(dirname "\$0"\)/([\w.]+)"', text):
                        self.assertTrue(f"{os.path.dirname(installed)}/{name}" in files, f"{command} sources {name}, not installed")
                        text += (script.parent / name).read_text()
                    # The programs the script looks up on PATH are installed.
                    for program in re.findall(r"command -v (scorecam[\w-]*)", text):
                        self.assertIn(program, programs, f"{command} runs {program}")
                else:
                    self.assertEqual(os.path.dirname(installed), "bin", f"{command}: not in the image")
                    self.assertIn(os.path.basename(command), programs, f"{command} is not installed")

if __name__ == "__main__":
    unittest.main(verbosity=2)
