//! CycloneDX BOMs written as XML: read into a small tree with the hardened reader, then
//! walked into the shared BOM model.

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};

use super::*;
use crate::bad;
use crate::error::Result;
use crate::xml::{self, XmlReader};

struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    kids: Vec<El>,
    /// Byte offset of the start tag, for messages.
    pos: u64,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.kids.iter().find(|k| k.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.kids.iter().filter(move |k| k.name == name)
    }

    /// The trimmed text of child `name`, if it has some.
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    fn attr(&self, name: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn start(r: &XmlReader<'_>, e: &BytesStart<'_>) -> Result<El> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| r.error(format!("bad attribute: {err}")))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        attrs.push((key, xml::attr_value(r, &a)?));
    }
    Ok(El {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        kids: Vec::new(),
        pos: r.reader.buffer_position(),
    })
}

fn read_tree(r: &mut XmlReader<'_>) -> Result<El> {
    let mut stack: Vec<El> = Vec::new();
    loop {
        let ev = match r.next() {
            Ok(ev) => ev.into_owned(),
            Err(e) => return Err(xml::truncation_hint(r, e)),
        };
        match ev {
            Event::Start(e) => {
                let el = start(r, &e)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = start(r, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.kids.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(r.error("malformed XML: an end tag without its start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.kids.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    xml::push_text(r, &mut top.text, &t)?;
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    xml::push_text(r, &mut top.text, &c)?;
                }
            }
            Event::GeneralRef(e) => {
                if let Some(top) = stack.last_mut() {
                    xml::push_ref(r, &mut top.text, &e)?;
                }
            }
            Event::Eof => {
                return Err(match stack.last() {
                    Some(top) => xml::eof_inside(r, top.name.as_bytes()),
                    None => r.error("not a CycloneDX BOM: the file has no XML element"),
                })
            }
            _ => {}
        }
    }
}

pub(super) fn from_xml(file: &str, input: &mut dyn BufRead) -> Result<Bom> {
    let root = {
        let mut r = XmlReader::new(file, input);
        read_tree(&mut r)?
    };
    let at = |el: &El, problem: &str| bad(file, &format!("byte {}", el.pos), problem);
    if root.name != "bom" {
        return Err(at(
            &root,
            &format!("not a CycloneDX BOM: the root element is <{}>", root.name),
        ));
    }
    let mut bom = Bom {
        serial: root.attr("serialNumber"),
        ..Default::default()
    };
    if let Some(m) = root.child("metadata") {
        bom.timestamp = m.text_of("timestamp");
        if let Some(c) = m.child("component") {
            bom.subject = Some(x_component(c));
            x_components(c, &mut bom, &at)?;
        }
    }
    x_components(&root, &mut bom, &at)?;
    if let Some(list) = root.child("vulnerabilities") {
        bom.has_vulns = true;
        for v in list.children("vulnerability") {
            let mut targets: Vec<Target> = v
                .child("affects")
                .into_iter()
                .flat_map(|a| a.children("target"))
                .filter_map(|t| t.text_of("ref"))
                .map(Target::Ref)
                .collect();
            // Extension 1.0 at the top level: `ref` names the component.
            if v.child("affects").is_none() {
                targets.extend(v.attr("ref").map(Target::Ref));
            }
            if let Some(vuln) = x_vuln(v, targets, &at)? {
                bom.vulns.push(vuln);
            }
        }
    }
    Ok(bom)
}

fn x_component(c: &El) -> Component {
    let mut digests = Vec::new();
    for p in c
        .child("properties")
        .into_iter()
        .flat_map(|p| p.children("property"))
    {
        let name = p.attr("name").unwrap_or_default();
        if name == "aquasecurity:trivy:RepoDigest" || name == "aquasecurity:trivy:ImageID" {
            digests.push(p.text.trim().to_string());
        }
    }
    Component {
        name: c.text_of("name").unwrap_or_default(),
        version: c.text_of("version").unwrap_or_default(),
        kind: c.attr("type").unwrap_or_default(),
        bom_ref: c.attr("bom-ref"),
        purl: c.text_of("purl"),
        sha256: c
            .child("hashes")
            .into_iter()
            .flat_map(|h| h.children("hash"))
            .find(|h| h.attr("alg").as_deref() == Some("SHA-256"))
            .map(|h| h.text.trim().to_string())
            .filter(|h| !h.is_empty()),
        digests,
    }
}

/// The components under `parent` (recursively), and the extension 1.0 vulnerabilities
/// inside them, which affect the component they sit in.
fn x_components(
    parent: &El,
    bom: &mut Bom,
    at: &dyn Fn(&El, &str) -> crate::error::Error,
) -> Result<()> {
    for c in parent
        .child("components")
        .into_iter()
        .flat_map(|l| l.children("component"))
    {
        let comp = x_component(c);
        if let Some(list) = c.child("vulnerabilities") {
            bom.has_vulns = true;
            for v in list.children("vulnerability") {
                let targets = vec![Target::Location(comp.location())];
                if let Some(vuln) = x_vuln(v, targets, at)? {
                    bom.vulns.push(vuln);
                }
            }
        }
        bom.components.push(comp);
        x_components(c, bom, at)?;
    }
    Ok(())
}

fn x_vuln(
    v: &El,
    targets: Vec<Target>,
    at: &dyn Fn(&El, &str) -> crate::error::Error,
) -> Result<Option<Vuln>> {
    let Some(id) = v.text_of("id") else {
        return Ok(None);
    };
    let mut ratings = Vec::new();
    for r in v
        .child("ratings")
        .into_iter()
        .flat_map(|l| l.children("rating"))
    {
        // 1.4+: <score>9.8</score>; extension 1.0: <score><base>9.8</base>...</score>.
        let score_el = r.child("score").map(|s| s.child("base").unwrap_or(s));
        let score = match score_el {
            Some(s) if !s.text.trim().is_empty() => {
                let n: f64 = s.text.trim().parse().map_err(|_| {
                    at(
                        s,
                        &format!("a rating score is not a number: '{}'", s.text.trim()),
                    )
                })?;
                Some(n).filter(|n| n.is_finite())
            }
            _ => None,
        };
        ratings.push(Rating {
            method: r.text_of("method").unwrap_or_default(),
            score,
            severity: r.text_of("severity"),
            vector: r.text_of("vector"),
        });
    }
    let recommendation = v.text_of("recommendation").or_else(|| {
        let list: Vec<String> = v
            .child("recommendations")
            .into_iter()
            .flat_map(|l| l.children("recommendation"))
            .map(|r| r.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        (!list.is_empty()).then(|| list.join("\n"))
    });
    let analysis = v.child("analysis");
    Ok(Some(Vuln {
        id,
        references: v
            .child("references")
            .into_iter()
            .flat_map(|l| l.children("reference"))
            .filter_map(|r| r.text_of("id"))
            .collect(),
        ratings,
        description: v.text_of("description"),
        detail: v.text_of("detail"),
        recommendation,
        state: analysis.and_then(|a| a.text_of("state")),
        justification: analysis.and_then(|a| a.text_of("justification")),
        responses: analysis
            .and_then(|a| a.child("responses"))
            .into_iter()
            .flat_map(|l| l.children("response"))
            .map(|r| r.text.trim().to_string())
            .collect(),
        analysis_detail: analysis.and_then(|a| a.text_of("detail")),
        targets,
    }))
}
