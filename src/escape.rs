//! Text escaping for the formats gapfill writes (XML, shell single quotes, dotenv double
//! quotes). One place, because the redactor must mask a secret in exactly the form each
//! output writes it.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_each_format_s_special_characters() {
        assert_eq!(xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(shell_single_quoted("it's"), r"it'\''s");
        assert_eq!(dotenv_double_quoted("a\"b\\c\n$d"), r#"a\"b\\c\n\$d"#);
    }
}
