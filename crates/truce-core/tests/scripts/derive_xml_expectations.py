"""Independent reading of the OpenVAS and Nexpose corpus samples with xml.etree, applying
Truce's identity and severity rules (docs/formats/openvas.md, nexpose.md). The expected
numbers in tests/format_openvas.rs and tests/format_nexpose.rs come from this output.

    python3 crates/truce-core/tests/scripts/derive_xml_expectations.py [tests/corpus/scans]
"""
import sys, collections, xml.etree.ElementTree as ET
from pathlib import Path

C = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / 'tests/corpus/scans'

def band(v, low_floor):
    return 'critical' if v >= 9 else 'high' if v >= 7 else 'medium' if v >= 4 else 'low' if v >= low_floor and v > 0 else 'info'

def openvas(f):
    root = ET.parse(f).getroot()
    seen = {}
    hosts = set()
    for results in root.iter('results'):
        for res in results.findall('result'):
            ip = (res.find('host').text or '').strip()
            hosts.add(ip)
            threat = (res.findtext('threat') or '').strip()
            sev = (res.findtext('severity') or '').strip()
            if threat.lower() in ('false positive', 'debug', 'error'):
                continue
            if sev:
                if float(sev) < 0: continue
                s = band(float(sev), 0)
            else:
                s = {'critical':'critical','high':'high','medium':'medium','low':'low'}.get(threat.lower(), 'info')
            oid = res.find('nvt').get('oid')
            port = (res.findtext('port') or '').strip() or 'general/tcp'
            seen.setdefault((ip, oid, port), s)
    for rep in root.iter('report'):
        for h in rep.findall('host'):
            hosts.add(h.findtext('ip').strip())
    cves = {r.get('id') for r in root.iter('ref') if r.get('type', '').lower() == 'cve'}
    return len(hosts), seen, cves

def nexpose(f):
    root = ET.parse(f).getroot()
    defs = {}
    for v in root.iter('vulnerability'):
        defs.setdefault(v.get('id').lower(), v)
    vulnerable = {'vulnerable-exploited', 'vulnerable-version', 'vulnerable-potential', 'potential'}
    seen = {}
    nodes = root.find('nodes').findall('node')
    def add(addr, t, loc):
        if t.get('status') not in vulnerable: return
        vid = t.get('id').lower()
        d = defs.get(vid)
        s = band(float(d.get('severity')), 1) if d is not None else 'info'
        seen.setdefault((addr, vid, loc), s)
    for n in nodes:
        a = n.get('address')
        for t in n.findall('tests/test'):
            add(a, t, '0/tcp')
        for ep in n.findall('endpoints/endpoint'):
            loc = f"{ep.get('port')}/{ep.get('protocol').lower()}"
            for t in ep.findall('services/service/tests/test'):
                add(a, t, loc)
    used = {k[1] for k in seen}
    cves = {r.text.strip() for vid in used if vid in defs for r in defs[vid].iter('reference') if r.get('source') == 'CVE'}
    return len({n.get('address') for n in nodes}), seen, cves

for kind, fn in (('openvas', openvas), ('nexpose', nexpose)):
    for f in sorted((C / kind).glob('*.xml')):
        assets, seen, cves = fn(f)
        by = collections.Counter(seen.values())
        print(f"{kind}/{f.name}: assets={assets} findings={len(seen)} "
              f"sev(c,h,m,l,i)=({by['critical']},{by['high']},{by['medium']},{by['low']},{by['info']}) cves={len(cves)}")

# Details the tests check besides the counts.
r = ET.parse(C / 'openvas/many_vuln.xml').getroot()
res = r.findall('.//results/result')
print('openvas/many_vuln.xml: distinct OIDs', len({x.find('nvt').get('oid') for x in res}),
      '; first result', res[0].find('nvt').get('oid'), res[0].findtext('port'), res[0].findtext('severity'),
      [q.get('id') for q in res[0].iter('ref') if q.get('type') == 'cve'],
      '; no <threat>:', [(x.find('nvt').get('oid'), x.findtext('severity')) for x in res if not x.findtext('threat')])
r = ET.parse(C / 'openvas/report_detail_v2.xml').getroot()
print('openvas/report_detail_v2.xml: severities',
      [(s.get('type'), s.findtext('score'), s.findtext('value')) for s in r.iter('severity') if s.get('type')],
      '; scan_start', r.findtext('.//scan_start'))
r = ET.parse(C / 'nexpose/many_vulns.xml').getroot()
vul = {'vulnerable-exploited', 'vulnerable-version', 'vulnerable-potential', 'potential'}
nodes = r.find('nodes').findall('node')
keys = [t.get('key') for n in nodes if n.get('address') == '192.168.1.18'
        for ep in n.findall('endpoints/endpoint') if ep.get('port') == '80'
        for t in ep.findall('services/service/tests/test')
        if t.get('id') == 'http-basic-auth-cleartext' and t.get('status') in vul]
print('nexpose/many_vulns.xml: http-basic-auth-cleartext on 192.168.1.18:80', len(keys), 'tests,',
      len(set(keys)), 'distinct keys, all start with "/":', all(k.startswith('/') for k in keys),
      '; tcp-seq-num-approximation node-level on',
      len({n.get('address') for n in nodes for t in n.findall('tests/test')
           if t.get('id') == 'tcp-seq-num-approximation' and t.get('status') in vul}), 'nodes',
      '; distinct vulnerable ids', len({t.get('id').lower() for t in r.iter('test') if t.get('status') in vul}))
