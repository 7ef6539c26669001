"""`pcmbn serve`: the always-on service (Prefect server, served deployments, web app).

Modules, one concern each:
- `deployments`: `prefect.yaml` read into checked `DeploymentSpec`s (pure);
- `runner`: the child process that serves every deployment with its schedule;
- `children`: starting, watching and stopping child processes, free ports, health polling;
- `discovery`: the `service.json` a running service leaves in the home folder for the CLI;
- `validator`: the warm validator (catalog loaded, Great Expectations imported once);
- `webapp`: the web application (health, the officer's overview, the check endpoint);
- `supervisor`: the one command that starts, supervises and stops them all.
"""
