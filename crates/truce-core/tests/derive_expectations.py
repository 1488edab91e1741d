#!/usr/bin/env python3
"""Independent reading of the corpus files behind format_nessus_csv.rs and format_qualys.rs.

Run from anywhere: python3 crates/truce-core/tests/derive_expectations.py
It uses only csv and xml.etree and applies the documented rules directly to the files:
finding identity (host, plugin/QID, port, protocol), the severity mappings of
docs/formats/nessus-csv.md and docs/formats/qualys.md, and the asset matching rule of
ingest/identity.rs (strongest shared identifier; IP only for hosts known by nothing else;
a different FQDN is a different asset). It shares no code with the Rust importers.
"""
import collections
import csv
import io
import ipaddress
import os
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SCANS = os.path.normpath(os.path.join(HERE, "../../../tests/corpus/scans"))

STRENGTH = {"cloud_id": 0, "image_digest": 1, "fqdn": 2, "mac": 3, "hostname": 4,
            "netbios": 5, "artifact": 6, "ip": 7}
EXCLUSIVE = {"cloud_id", "image_digest", "fqdn"}


class Assets:
    """identity.rs, restated: which asset a host's identifiers belong to."""

    def __init__(self):
        self.ids = []  # per asset: set of (kind, value)

    def find(self, ids):
        named = any(k != "ip" for k, _ in ids)
        for kind, value in sorted(ids, key=lambda kv: (STRENGTH[kv[0]], kv[1])):
            if kind == "ip" and named:
                continue
            for n, have in enumerate(self.ids):
                if (kind, value) in have and not self.conflicts(have, ids):
                    return n
        return None

    @staticmethod
    def conflicts(have, ids):
        for kind in EXCLUSIVE:
            ours = {v for k, v in ids if k == kind}
            theirs = {v for k, v in have if k == kind}
            if ours and theirs and not (ours & theirs):
                return True
        return False

    def asset(self, ids):
        n = self.find(ids)
        if n is None:
            self.ids.append(set(ids))
            return len(self.ids) - 1
        self.ids[n] |= set(ids)
        return n


def name_ids(name):
    """ReportHost@name: an IP, an FQDN (and its first label) or a short name."""
    name = name.strip().lower()
    try:
        ipaddress.ip_address(name)
        return [("ip", name)]
    except ValueError:
        pass
    if "." in name:
        return [("fqdn", name), ("hostname", name.split(".")[0])]
    return [("hostname", name)]


def counts(sevs):
    c = collections.Counter(sevs)
    return {s: c[s] for s in ("critical", "high", "medium", "low", "info")}


# ---------------------------------------------------------------- Nessus / Tenable CSV
CSV_SEV = {"none": "info", "info": "info", "informational": "info", "low": "low",
           "medium": "medium", "high": "high", "critical": "critical",
           "0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}


def nessus_csv(rel):
    raw = open(os.path.join(SCANS, rel), encoding="utf-8").read()
    delim = ";" if ";" in raw.split("\n", 1)[0] and "," not in raw.split("\n", 1)[0] else ","
    rows = list(csv.reader(io.StringIO(raw), delimiter=delim))
    head = [h.strip().lower() for h in rows[0]]

    def col(*names):
        for n in names:
            if n in head:
                return head.index(n)
        return None

    c = dict(plugin=col("plugin id", "plugin", "definition.id"),
             host=col("host", "asset.name"), ip=col("ip address", "asset.display_ipv4_address"),
             fqdn=col("dns name", "fqdn", "asset.display_fqdn"),
             nb=col("netbios name", "netbios", "asset.netbios_name"),
             mac=col("mac address", "asset.display_mac_address"),
             port=col("port"), proto=col("protocol"), cve=col("cve", "definition.cve"),
             state=col("vulnerability state", "state"))
    sevcols = [head.index(n) for n in ("risk", "severity", "definition.severity") if n in head]
    assets = Assets()
    findings = collections.OrderedDict()  # (asset, plugin, location) -> [severity, cves]
    rows_read = 0
    for r in rows[1:]:
        if all(not x.strip() for x in r):
            continue
        get = lambda k: r[c[k]].strip() if c[k] is not None else ""
        if get("state").lower() == "fixed":
            continue
        rows_read += 1
        ids = []
        label = get("host") or get("fqdn") or get("ip") or get("nb")
        ids += name_ids(label)
        if get("fqdn"):
            ids += [("fqdn", get("fqdn").lower()), ("hostname", get("fqdn").lower().split(".")[0])]
        if get("ip"):
            ids.append(("ip", get("ip").lower()))
        if get("nb"):
            ids.append(("netbios", get("nb").split("\\")[-1].lower()))
        for m in get("mac").replace(",", " ").split():
            ids.append(("mac", m.replace("-", ":").lower()))
        a = assets.asset(ids)
        sev = next(CSV_SEV[r[i].strip().lower()] for i in sevcols if r[i].strip())
        key = (a, get("plugin"), get("port") + "/" + get("proto").lower())
        cves = [t.strip().upper() for t in get("cve").replace(",", " ").split() if t.upper().startswith("CVE-")]
        if key in findings:
            findings[key][1] |= set(cves)
        else:
            findings[key] = [sev, set(cves)]
    cve_all = set().union(*[f[1] for f in findings.values()]) if findings else set()
    return dict(rows=rows_read, assets=len(assets.ids), findings=len(findings),
                by_severity=counts(f[0] for f in findings.values()), distinct_cves=len(cve_all),
                plugins=len({k[1] for k in findings}))


# ---------------------------------------------------------------- Qualys XML
Q_SEV = {"1": "info", "2": "low", "3": "medium", "4": "high", "5": "critical"}


def qualys(rel):
    root = ET.parse(os.path.join(SCANS, rel)).getroot()
    glossary = {d.findtext("QID").strip(): d for d in root.iter("VULN_DETAILS")}
    assets = Assets()
    findings = {}
    types = collections.Counter()
    for h in root.iter("HOST"):
        ids = []
        dns, ip, nb = (h.findtext("DNS") or "").strip(), (h.findtext("IP") or "").strip(), (h.findtext("NETBIOS") or "").strip()
        if dns:
            ids += name_ids(dns)
        if ip:
            ids.append(("ip", ip.lower()))
        if nb:
            ids.append(("netbios", nb.lower()))
        a = assets.asset(ids)
        for v in h.iter("VULN_INFO"):
            if (v.findtext("VULN_STATUS") or "").strip().lower() == "fixed":
                continue
            qid = v.findtext("QID").strip()
            typ = v.findtext("TYPE").strip()
            types[typ] += 1
            loc = (v.findtext("PORT") or "0").strip() + "/" + (v.findtext("PROTOCOL") or "tcp").strip().lower()
            sev = "info" if typ == "Ig" else Q_SEV[glossary[qid].findtext("SEVERITY").strip()]
            findings.setdefault((a, qid, loc), sev)
    used = {k[1] for k in findings}
    cves = {i.findtext("ID").strip() for q in used for i in glossary[q].iter("CVE_ID")}
    return dict(vuln_info=sum(types.values()), types=dict(types), assets=len(assets.ids),
                findings=len(findings), by_severity=counts(findings.values()),
                glossary=len(glossary), qids=len(used), distinct_cves=len(cves))


def qualys_csv(rel):
    rows = list(csv.reader(open(os.path.join(SCANS, rel), encoding="utf-8")))
    head = [h.strip().lower() for h in rows[0]]
    col = lambda *ns: next((head.index(n) for n in ns if n in head), None)
    c = dict(ip=col("ip"), dns=col("dns", "hostname"), nb=col("netbios"), qid=col("qid"),
             type=col("type"), port=col("port"), proto=col("protocol"), cve=col("cve id", "cveid"),
             status=col("vuln status"))
    levels = [head.index(n) for n in ("q_severity", "severity") if n in head]
    assets = Assets()
    findings = {}
    for r in rows[1:]:
        if all(not x.strip() for x in r):
            continue
        get = lambda k: r[c[k]].strip() if c[k] is not None else ""
        if get("status").lower() == "fixed":
            continue
        ids = name_ids(get("dns")) if get("dns") else []
        if get("ip"):
            ids.append(("ip", get("ip").lower()))
        if get("nb"):
            ids.append(("netbios", get("nb").lower()))
        a = assets.asset(ids)
        level = next(r[i].strip() for i in levels if r[i].strip().isdigit())
        sev = "info" if get("type").lower() in ("ig", "info") else Q_SEV[level]
        key = (a, get("qid"), (get("port") or "0") + "/" + (get("proto") or "tcp").lower())
        cves = {t.strip() for t in get("cve").split(",") if t.strip().startswith("CVE-")}
        if key not in findings:
            findings[key] = (sev, cves)
    qids = {k[1] for k in findings}
    return dict(assets=len(assets.ids), findings=len(findings), qids=len(qids),
                by_severity=counts(f[0] for f in findings.values()),
                distinct_cves=len(set().union(*[f[1] for f in findings.values()])) if findings else 0)


def qualys_vmdr(rel):
    rows = list(csv.reader(open(os.path.join(SCANS, rel), encoding="utf-8-sig")))
    hi = next(i for i, r in enumerate(rows) if "QID" in r and "Asset IPV4" in r)
    head = [h.strip().lower() for h in rows[hi]]
    col = lambda n: head.index(n) if n in head else None
    assets = Assets()
    findings = {}
    for r in rows[hi + 1:]:
        if all(not x.strip() for x in r):
            continue
        get = lambda n: r[col(n)].strip() if col(n) is not None else ""
        if get("status").lower() == "fixed":
            continue
        ids = name_ids(get("asset name")) if get("asset name") else []
        for ip in (get("asset ipv4") + "," + get("asset ipv6")).split(","):
            if ip.strip():
                ids.append(("ip", ip.strip().lower()))
        a = assets.asset(ids)
        proto = get("protocol")
        proto = "tcp" if proto in ("", "-", "'-") else proto.lower()
        key = (a, get("qid"), (get("port") or "0") + "/" + proto)
        sev = "info" if get("type detected").lower() == "info" else Q_SEV[get("severity")]
        cve = {get("cve")} if get("cve").startswith("CVE-") else set()
        if key in findings:
            findings[key][1].update(cve)
        else:
            findings[key] = (sev, cve)
    return dict(assets=len(assets.ids), findings=len(findings),
                by_severity=counts(f[0] for f in findings.values()),
                distinct_cves=len(set().union(*[f[1] for f in findings.values()])) if findings else 0,
                locations=sorted(k[2] for k in findings))


if __name__ == "__main__":
    for rel in ["tenable/issue_11102.csv", "tenable/issue_9612.csv", "tenable/tenable_many_vuln.csv",
                "tenable/nessus/nessus-template.csv", "tenable/nessus/nessus_many_vuln.csv",
                "tenable/nessus/nessus_many_vuln2-all.csv", "tenable/nessus/nessus_many_vuln2-default.csv",
                "tenable/nessus/nessus_new.csv"]:
        print(rel, nessus_csv(rel))
    for rel in ["qualys/Qualys_Sample_Report.xml", "qualys/empty.xml"]:
        print(rel, qualys(rel))
    for rel in ["qualys/Qualys_Sample_Report.csv", "qualys/empty.csv", "qualys/monthly_pci_issue6932.csv"]:
        print(rel, qualys_csv(rel))
    for name in sorted(os.listdir(os.path.join(SCANS, "qualys_vmdr"))):
        print("qualys_vmdr/" + name, qualys_vmdr("qualys_vmdr/" + name))
