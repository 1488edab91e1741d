#!/usr/bin/env python3
"""Independent reading of the CycloneDX and OpenVEX samples, for the expectations in
tests/format_cyclonedx.rs and tests/format_openvex.rs. Uses only json and xml.etree and the
rules of docs/formats/cyclonedx.md and openvex.md, not Truce's code.

Run from the repository root:  python3 crates/truce-core/tests/derive/cyclonedx_openvex.py
"""
import collections
import glob
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

CORPUS = os.path.join(os.path.dirname(__file__), "../../../../tests/corpus/scans")
if len(sys.argv) > 1:
    CORPUS = sys.argv[1]
ORDER = ["critical", "high", "medium", "low", "info"]
WORDS = {"critical": "critical", "high": "high", "medium": "medium", "low": "low",
         "info": "info", "none": "info", "unknown": "info"}


def purl(text):
    """(name, version or None) of pkg:type/ns/name@version?q#s, else None."""
    if not text.startswith("pkg:"):
        return None
    rest = text[4:].split("#")[0].split("?")[0].lstrip("/")
    version = None
    if "@" in rest and "/" not in rest.rsplit("@", 1)[1]:
        rest, version = rest.rsplit("@", 1)
    if "/" not in rest:
        return None
    name = urllib.parse.unquote(rest.rstrip("/").split("/")[-1])
    version = urllib.parse.unquote(version) if version else None
    return (name, version or None)


def band(score):
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0:
        return "low"
    return "info"


def severity(ratings):
    """ratings: [(method, score or None, word or None)] in file order."""
    known = lambda w: w if w and w.strip().lower() in WORDS else None
    for m in ("cvssv31", "cvssv3", "cvssv4"):
        for method, score, word in ratings:
            if (method or "").lower() != m:
                continue
            if score is not None:
                return band(score)
            if known(word):
                return WORDS[word.strip().lower()]
    for _, _, word in ratings:
        if known(word):
            return WORDS[word.strip().lower()]
    for _, score, _ in ratings:
        if score is not None:
            return band(score)
    return "info"


def loc(name, version, fallback):
    if name and version:
        return "%s@%s" % (name, version)
    return name or fallback


def cve(s):
    return s.upper() if re.fullmatch(r"(?i)CVE-\d+-\d+", s.strip()) else None


def verdict(state):
    if state in ("not_affected", "false_positive"):
        return "false_positive"
    if state in ("resolved", "resolved_with_pedigree"):
        return "fixed"
    return "open"


def summarise(name, subject_ids, vulns):
    """vulns: [(id, ratings, [location], cves, state)] -> the expectation."""
    findings = {}
    cves = set()
    for vid, ratings, locations, vcves, state in vulns:
        cves.update(vcves)
        for l in locations:
            findings.setdefault((vid, l), (severity(ratings), verdict(state)))
    sev = collections.Counter(s for s, _ in findings.values())
    status = collections.Counter(v for _, v in findings.values())
    return {"asset": name, "ids": subject_ids, "findings": len(findings),
            "by_severity": [sev[k] for k in ORDER], "status": dict(status),
            "closed_by_verdict": sorted("%s %s -> %s" % (k[0], k[1], v[1])
                                        for k, v in findings.items() if v[1] != "open"),
            "cves": sorted(cves)}


def subject(file, serial, comp):
    """(asset name, identifiers) per the rules."""
    ids = []
    if comp and comp.get("name"):
        nv = loc(comp["name"], comp.get("version"), "")
        for v in [("artifact", nv), ("artifact", comp.get("purl")), ("artifact", comp.get("bom-ref"))]:
            if v[1] and v not in ids:
                ids.append(v)
        if comp.get("type") == "container":
            cands = []
            if comp.get("sha256"):
                cands.append("sha256:" + comp["sha256"].lower())
            p = purl(comp.get("purl") or "")
            for d in [comp.get("version"), p and p[1]] + comp.get("digests", []):
                if d and "sha256:" in d.lower():
                    cands.append(d.rsplit("@", 1)[-1].lower())
            for d in cands:
                if ("image_digest", d) not in ids:
                    ids.append(("image_digest", d))
        return nv, ids
    name = serial or os.path.basename(file)
    return name, [("artifact", name)]


def cdx_json(path):
    doc = json.load(open(path))
    if "vulnerabilities" not in doc:
        return None
    comps = []

    def walk(lst):
        for c in lst or []:
            comps.append(c)
            walk(c.get("components"))
    meta = doc.get("metadata") or {}
    subj = meta.get("component")
    if subj:
        comps.append(subj)
        walk(subj.get("components"))
    walk(doc.get("components"))
    refs = {}
    for c in comps:
        if c.get("bom-ref"):
            refs.setdefault(c["bom-ref"], loc(c.get("name"), c.get("version"), c["bom-ref"]))
    if subj:
        subj = dict(subj)
        h = [x["content"] for x in subj.get("hashes", []) if x.get("alg") == "SHA-256"]
        subj["sha256"] = h[0] if h else None
        subj["digests"] = [p["value"] for p in subj.get("properties", [])
                           if p["name"] in ("aquasecurity:trivy:RepoDigest", "aquasecurity:trivy:ImageID")]
    name, ids = subject(path, doc.get("serialNumber"), subj)
    vulns = []
    for v in doc["vulnerabilities"]:
        ratings = [(r.get("method"), r.get("score"), r.get("severity")) for r in v.get("ratings", [])]
        locations = []
        for a in v.get("affects", []):
            r = a["ref"]
            if r in refs:
                locations.append(refs[r])
            elif purl(r):
                n, ver = purl(r)
                locations.append(loc(n, ver, r))
            else:
                locations.append(r)
        vc = [c for c in [cve(v["id"])] + [cve(r["id"]) for r in v.get("references", [])] if c]
        vulns.append((v["id"], ratings, locations, vc, (v.get("analysis") or {}).get("state")))
    return summarise(name, ids, vulns)


def local(tag):
    return tag.split("}")[-1]


def kids(el, name):
    return [k for k in el if local(k.tag) == name]


def kid(el, name):
    k = kids(el, name)
    return k[0] if k else None


def txt(el, name):
    k = kid(el, name)
    return k.text.strip() if k is not None and k.text and k.text.strip() else None


def cdx_xml(path):
    root = ET.parse(path).getroot()
    assert local(root.tag) == "bom"
    has_vulns = False
    comps = []  # (element, location)
    ext_vulns = []  # (vulnerability element, location)

    def comp_dict(c):
        d = {"name": txt(c, "name"), "version": txt(c, "version"), "type": c.get("type"),
             "purl": txt(c, "purl"), "bom-ref": c.get("bom-ref")}
        hs = kid(c, "hashes")
        h = [x.text.strip() for x in (kids(hs, "hash") if hs is not None else []) if x.get("alg") == "SHA-256"]
        d["sha256"] = h[0] if h else None
        ps = kid(c, "properties")
        d["digests"] = [p.text.strip() for p in (kids(ps, "property") if ps is not None else [])
                        if p.get("name") in ("aquasecurity:trivy:RepoDigest", "aquasecurity:trivy:ImageID")]
        return d

    def walk(parent):
        nonlocal has_vulns
        lst = kid(parent, "components")
        for c in kids(lst, "component") if lst is not None else []:
            d = comp_dict(c)
            l = loc(d["name"], d["version"], d["bom-ref"] or "?")
            comps.append((d, l))
            vs = kid(c, "vulnerabilities")
            if vs is not None:
                has_vulns = True
                ext_vulns.extend((v, [l]) for v in kids(vs, "vulnerability"))
            walk(c)

    meta = kid(root, "metadata")
    subj = None
    if meta is not None and kid(meta, "component") is not None:
        subj = comp_dict(kid(meta, "component"))
        comps.append((subj, loc(subj["name"], subj["version"], subj["bom-ref"] or "?")))
        walk(kid(meta, "component"))
    walk(root)
    refs = {}
    for d, l in comps:
        if d["bom-ref"]:
            refs.setdefault(d["bom-ref"], l)
    top = []
    vs = kid(root, "vulnerabilities")
    if vs is not None:
        has_vulns = True
        for v in kids(vs, "vulnerability"):
            aff = kid(v, "affects")
            if aff is not None:
                rs = [txt(t, "ref") for t in kids(aff, "target") if txt(t, "ref")]
            else:
                rs = [v.get("ref")] if v.get("ref") else []
            top.append((v, [refs.get(r) or (loc(*purl(r), r) if purl(r) else r) for r in rs]))
    if not has_vulns:
        return None
    name, ids = subject(path, root.get("serialNumber"), subj)
    vulns = []
    for v, locations in ext_vulns + top:
        vid = txt(v, "id")
        ratings = []
        rl = kid(v, "ratings")
        for r in kids(rl, "rating") if rl is not None else []:
            s = kid(r, "score")
            if s is not None and kid(s, "base") is not None:
                s = kid(s, "base")
            score = float(s.text) if s is not None and s.text and s.text.strip() else None
            ratings.append((txt(r, "method"), score, txt(r, "severity")))
        refl = kid(v, "references")
        vc = [cve(vid)] + [cve(txt(r, "id")) for r in (kids(refl, "reference") if refl is not None else [])]
        an = kid(v, "analysis")
        vulns.append((vid, ratings, locations, [c for c in vc if c], txt(an, "state") if an is not None else None))
    return summarise(name, ids, vulns)


def openvex(path):
    doc = json.load(open(path))
    if not isinstance(doc, dict) or "openvex" not in str(doc.get("@context", "")):
        return "refused"
    out = []
    for s in doc.get("statements", []):
        if s["status"] not in ("not_affected", "fixed"):
            continue
        v = s["vulnerability"]
        names = [v] if isinstance(v, str) else [v.get("name") or v.get("@id")] + v.get("aliases", [])
        prods = []
        for p in s.get("products") or []:
            pid = p if isinstance(p, str) else (p.get("identifiers", {}).get("purl") or p.get("@id"))
            subs = [] if isinstance(p, str) else [purl(x if isinstance(x, str) else x.get("@id")) for x in p.get("subcomponents", [])]
            subs = [x for x in subs if x]
            prods.extend(subs or ([purl(pid)] if purl(pid) else []))
        for n in names:
            for p in prods or [None]:
                out.append((n, p, s["status"]))
    return out


def main():
    for path in sorted(glob.glob(os.path.join(CORPUS, "cyclonedx", "*"))):
        f = os.path.basename(path)
        r = cdx_json(path) if f.endswith(".json") else cdx_xml(path)
        print("cyclonedx/%s: %s" % (f, json.dumps(r)))
    for path in sorted(glob.glob(os.path.join(CORPUS, "openvex", "*.json"))):
        print("openvex/%s: %s" % (os.path.basename(path), openvex(path)))


if __name__ == "__main__":
    main()
