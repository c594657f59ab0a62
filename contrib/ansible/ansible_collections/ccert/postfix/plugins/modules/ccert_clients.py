#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: The ccert developers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Ansible module ccert_clients: the relay_clientcerts list in a declared
state, through `ccert apply --format json` (ccert decides; this module only
passes the list and maps ccert's answer to Ansible's)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ccert_clients
short_description: Make Postfix's client-certificate relay list match a declared list
description:
  - Runs C(ccert apply) with the clients given, so the list Postfix reads
    (C(relay_clientcerts): a source file and its tables, or a C(pgsql:) list)
    holds exactly them.
  - ccert changes only the entries it wrote; lines written by hand stay as
    they are. Tables are rebuilt once, and not at all when nothing changed.
  - Fingerprints use the digest and entry kind of the host's effective
    Postfix configuration, as C(ccert add) does.
  - Supports check mode (C(ccert apply --check)) and diff mode (the source
    lines that change).
version_added: "0.1.0"
options:
  clients:
    description: Every client the list should hold.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The entry's name (the table's value).
        type: str
        required: true
      certificate:
        description: Path of the client's certificate on the managed host (PEM or DER).
        type: path
      fingerprint:
        description: The fingerprint instead of a certificate (C(AB:CD:...)), in the server's digest.
        type: str
      pubkey:
        description: A public-key fingerprint entry (default from the configuration, e.g. raw public keys).
        type: bool
  config_dir:
    description: Postfix configuration directory (C(ccert -c)); default C($MAIL_CONFIG) or C(/etc/postfix).
    type: path
  map:
    description: The list to manage (C(ccert --map)), a source file or C(pgsql:/etc/postfix/clientcerts.pgsql.cf); default what C(relay_clientcerts) names.
    type: str
  compile:
    description: Rebuild the tables next to the source file when the list changed.
    type: bool
    default: true
  ccert:
    description: The ccert binary.
    type: path
    default: ccert
author:
  - The ccert developers
"""

EXAMPLES = r"""
- name: Workstations allowed to relay with a client certificate
  ccert.postfix.ccert_clients:
    clients:
      - name: chinacat
        certificate: /etc/postfix/clients/chinacat.pem
      - name: laptop
        fingerprint: "9A:EA:D9:91:…"
        pubkey: true
"""

RETURN = r"""
changed:
  description: Whether the list changed (in check mode, would change).
  type: bool
  returned: always
added:
  description: Entries added, each with name and fingerprint.
  type: list
  returned: always
removed:
  description: Entries ccert had written that the list no longer names.
  type: list
  returned: always
renamed:
  description: Entries renamed, each with fingerprint, from and to.
  type: list
  returned: always
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            clients=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    certificate=dict(type="path"),
                    fingerprint=dict(type="str"),
                    pubkey=dict(type="bool"),
                ),
                mutually_exclusive=[("certificate", "fingerprint")],
                required_one_of=[("certificate", "fingerprint")],
            ),
            config_dir=dict(type="path"),
            map=dict(type="str"),
            compile=dict(type="bool", default=True),
            ccert=dict(type="path", default="ccert"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # The desired state, in the JSON form of ccert's desired-state schema;
    # unset options are left out so ccert's defaults apply.
    clients = []
    for c in p["clients"]:
        entry = {k: v for k, v in c.items() if v is not None}
        # The JSON file lives in a temp directory: make paths absolute here.
        if "certificate" in entry:
            entry["certificate"] = os.path.abspath(entry["certificate"])
        clients.append(entry)
    desired = {"client": clients}
    ccert = p["ccert"]
    if os.sep not in ccert:
        ccert = module.get_bin_path(ccert, required=True)
    fd, path = tempfile.mkstemp(prefix="ccert-clients-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(desired, f)
        cmd = [ccert]
        if p["config_dir"]:
            cmd += ["-c", p["config_dir"]]
        if p["map"]:
            cmd += ["--map", p["map"]]
        cmd += ["apply", "--format", "json"]
        if module.check_mode:
            cmd.append("--check")
        if module._diff:
            cmd.append("--diff")
        if not p["compile"]:
            cmd.append("--no-compile")
        cmd.append(path)
        rc, out, err = module.run_command(cmd)
    finally:
        os.unlink(path)
    # ccert's exit codes: 0 unchanged, 2 changed, 1 error (nothing changed).
    if rc not in (0, 2):
        lines = [l for l in err.splitlines() if l.startswith("ccert: error:")]
        msg = lines[-1] if lines else (err.strip() or "ccert apply exited %d" % rc)
        module.fail_json(msg=msg, rc=rc, stderr=err, cmd=cmd)
    try:
        report = json.loads(out)
    except ValueError:
        module.fail_json(msg="ccert apply printed no JSON report", rc=rc, stdout=out, stderr=err)
    result = dict(
        changed=(rc == 2),
        added=report.get("added", []),
        removed=report.get("removed", []),
        renamed=report.get("renamed", []),
    )
    if module._diff and report.get("diff"):
        result["diff"] = dict(prepared=report["diff"])
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
