#!/usr/bin/env python3
"""Independent reading of the Trivy and Grype sample reports, for the expectations in
tests/format_trivy.rs and tests/format_grype.rs. Uses only the json module and the rules
in docs/formats/trivy.md and grype.md, not Truce's code.

Run from the repository root:  python3 crates/truce-core/tests/derive/image_scanners.py
"""
import collections
import glob
import json
import os
import sys

CORPUS = os.path.join(os.path.dirname(__file__), "../../../../tests/corpus/scans")
if len(sys.argv) > 1:
    CORPUS = sys.argv[1]

TRIVY_SEV = {"CRITICAL": "critical", "HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNKNOWN": "info", None: "info"}
GRYPE_SEV = {"Critical": "critical", "High": "high", "Medium": "medium", "Low": "low",
             "Negligible": "info", "Unknown": "info", None: "info"}
ORDER = ["critical", "high", "medium", "low", "info"]


def package_scan(result):
    return result.get("Class") in (None, "os-pkgs", "lang-pkgs") or bool(result.get("Vulnerabilities"))


def trivy_findings(results):
    """{(VulnerabilityID, 'pkg@ver'): severity of the first entry}"""
    out = {}
    for r in results:
        if not package_scan(r):
            continue
        for v in r.get("Vulnerabilities") or []:
            vid = (v.get("VulnerabilityID") or "").strip()
            if not vid or v.get("Status") == "not_affected":
                continue
            loc = "%s@%s" % (v.get("PkgName"), v.get("InstalledVersion"))
            out.setdefault((vid, loc), TRIVY_SEV[v.get("Severity")])
    return out


def trivy(path):
    doc = json.load(open(path))
    assets = {}
    if doc is None:
        pass
    elif isinstance(doc, list):
        name = next(r["Target"].rsplit(" (", 1)[0] for r in doc if r.get("Target", "").endswith(")"))
        assets[name] = trivy_findings(doc)
    elif any(k in doc for k in ("ClusterName", "Resources", "Vulnerabilities", "Misconfigurations")):
        cluster = doc.get("ClusterName") or ""
        for key in ("Resources", "Vulnerabilities", "Misconfigurations"):
            for res in doc.get(key) or []:
                results = res.get("Results") or []
                if not any(package_scan(r) for r in results):
                    continue
                name = "%s/%s/%s" % (res.get("Namespace"), res.get("Kind"), res.get("Name"))
                if cluster:
                    name = cluster + "/" + name
                # the same resource in two lists is one asset (the store merges on the name)
                assets.setdefault(name, {}).update(
                    {k: s for k, s in trivy_findings(results).items() if k not in assets.get(name, {})})
    else:
        results = doc.get("Results") or []
        if not results or any(package_scan(r) for r in results):
            md = doc.get("Metadata") or {}
            name = doc.get("ArtifactName") or md.get("ImageID")
            assets[name] = trivy_findings(results)
    return assets


def grype(path):
    doc = json.load(open(path))
    if "source" not in doc:
        return None
    findings = {}
    for m in doc.get("matches") or []:
        v, a = m["vulnerability"], m["artifact"]
        key = (v["id"], "%s@%s" % (a["name"], a["version"]))
        findings.setdefault(key, GRYPE_SEV[v.get("severity")])
    return {"the source": findings}


def show(name, assets):
    if assets is None:
        print("%-55s refused (no source)" % name)
        return
    sev = collections.Counter(s for f in assets.values() for s in f.values())
    total = sum(len(f) for f in assets.values())
    print("%-55s assets %3d findings %4d  %s" % (
        name, len(assets), total, " ".join("%s=%d" % (s, sev[s]) for s in ORDER)))


for f in sorted(glob.glob(os.path.join(CORPUS, "trivy/*.json"))):
    show("trivy/" + os.path.basename(f), trivy(f))
for f in sorted(glob.glob(os.path.join(CORPUS, "grype/*.json"))):
    show("grype/" + os.path.basename(f), grype(f))
