"""Writes every `run:` script of the given GitHub workflows to DIR, one file
each, for shellcheck: GitHub runs them with `bash -e {0}` by default, and an
expression `${{ ... }}` is replaced by a variable reference, as actionlint
does (the value is only known on the runner)."""
import re
import sys

from ruamel.yaml import YAML

EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def main(out_dir, *workflows):
    count = 0
    for path in workflows:
        with open(path) as f:
            workflow = YAML(typ="safe").load(f)
        for job_name, job in (workflow.get("jobs") or {}).items():
            for index, step in enumerate(job.get("steps") or []):
                if "run" not in step:
                    continue
                count += 1
                script = EXPRESSION.sub("${GITHUB_EXPRESSION}", step["run"])
                where = f"# {path}: job {job_name}, step {step.get('name', index + 1)}"
                with open(f"{out_dir}/{count:03}.sh", "w") as f:
                    f.write(f"#!/usr/bin/env bash\n{where}\nset -e\nexport GITHUB_EXPRESSION=\"\"\n{script}")
    if count == 0:
        sys.exit("no run: scripts found")


if __name__ == "__main__":
    main(*sys.argv[1:])
