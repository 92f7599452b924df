//! Text escaping for the formats gapfill writes (XML, shell single quotes, dotenv double
//! quotes, Markdown, GitHub Actions workflow commands). One place, because the redactor must
//! mask a secret in exactly the form each output writes it.

/// `text` with XML's five special characters as entities (safe in elements and attributes).
pub fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `text` as it appears inside shell single quotes (`'...'`).
pub fn shell_single_quoted(text: &str) -> String {
    text.replace('\'', r"'\''")
}

/// `text` as it appears inside dotenv double quotes (`"..."`).
pub fn dotenv_double_quoted(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
        .replace('$', r"\$")
}

/// `text` as inline Markdown (GitHub's flavour) that reads as written, in a paragraph, a list
/// item or a table cell: each character Markdown gives a meaning to (emphasis, code, links,
/// HTML, entities, table pipes, strikethrough, math) behind a backslash, each line break as
/// `<br>`.
pub fn markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.replace("\r\n", "\n").chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '$' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' | '\r' => escaped.push_str("<br>"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// `text` as the data of a GitHub Actions workflow command (`::error::DATA`,
/// `::add-mask::DATA`): `%`, carriage return and line feed percent-encoded, as the runner
/// decodes them, so a value stays one command line.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `text` as a property value of a GitHub Actions workflow command
/// (`::error file=F,title=T::...`): as [`github_data`], and `:` and `,` too, which would end
/// the value.
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_each_format_s_special_characters() {
        assert_eq!(xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(shell_single_quoted("it's"), r"it'\''s");
        assert_eq!(dotenv_double_quoted("a\"b\\c\n$d"), r#"a\"b\\c\n\$d"#);
        assert_eq!(
            markdown("a|b `c` *d* <e> & $f\r\ng"),
            r"a\|b \`c\` \*d\* \<e\> \& \$f<br>g"
        );
        assert_eq!(github_data("100%\r\nok: a,b"), "100%25%0D%0Aok: a,b");
        assert_eq!(
            github_property("100%\r\nok: a,b"),
            "100%25%0D%0Aok%3A a%2Cb"
        );
    }
}
