//! Scanner text written as HTML (Qualys' knowledge base: `<P>`, `<BR>`, `<A HREF=…>`, `&quot;`)
//! turned into plain text when it is read. Markup from a report is never kept as markup: every
//! screen would have to trust it, and two texts that differ only by tags are the same fix.
//! html2text parses it as a browser would (html5ever) and never runs or fetches anything.

/// Lines wider than this are not wrapped (a solution is a paragraph, not a terminal page).
const NO_WRAP: usize = 10_000;

/// `text` without its markup: paragraphs and breaks as new lines, links marked `[text][1]` and their targets listed after the
/// text as `[1]: URL`, entities decoded. Text with no tag or entity is returned as it is.
pub fn to_text(text: &str) -> String {
    if !looks_like_markup(text) {
        return text.to_string();
    }
    let rendered = html2text::config::plain_no_decorate()
        .link_footnotes(true)
        .no_link_wrapping()
        .allow_width_overflow()
        .string_from_read(text.as_bytes(), NO_WRAP);
    match rendered {
        Ok(plain) => tidy(&plain),
        // html5ever accepts any input; should the renderer still give up, the tags stay visible
        // as text rather than the finding losing its solution.
        Err(_) => text.to_string(),
    }
}

/// A tag (`<` then a letter, `/` or `!`) or an entity (`&` then a name or `#` and `;`).
fn looks_like_markup(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        || text.split('&').skip(1).any(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '#')
                .collect();
            !name.is_empty() && rest[name.len()..].starts_with(';')
        })
}

/// No trailing spaces, at most one blank line in a row, none at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn qualys_markup_becomes_text_with_its_links_listed() {
        // As Qualys' SOLUTION elements carry it (CDATA, so the entity is still an entity).
        let html = "Refer to libxml2 repository <A HREF=\"http://xmlsoft.org/downloads.html\" TARGET=\"_blank\">libxml2</A> to obtain further details.<P>\nPatch:<BR>\nthe &quot;portmap&quot; service";
        assert_eq!(
            to_text(html),
            "Refer to libxml2 repository [libxml2][1] to obtain further details.\n\nPatch:\nthe \"portmap\" service\n\n[1]: http://xmlsoft.org/downloads.html"
        );
    }

    #[test]
    fn plain_text_is_left_alone_even_with_angle_brackets_and_ampersands() {
        for text in [
            "Upgrade to 1.2 or later.",
            "if a < b && c > d",
            "R&D servers",
            "version <= 2.4",
        ] {
            assert_eq!(to_text(text), text);
        }
    }

    #[test]
    fn scripts_and_handlers_never_survive() {
        let out = to_text("Fix it<script>alert(1)</script><img src=x onerror=alert(2)> now");
        assert!(!out.contains('<') && !out.contains("alert(1)"), "{out}");
    }
}
