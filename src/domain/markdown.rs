//! Product descriptions: markdown rendered by pulldown-cmark, then cleaned by
//! ammonia. Raw HTML typed into the markdown is shown as text, never as markup,
//! and the sanitiser removes anything a link or image could smuggle in.
//!
//! Rendering is done once, when a description is saved (by the provider
//! team's actor, off the request workers), and its cost is bounded: the text
//! by `DESCRIPTION_MAX` and the nesting by [`MAX_NESTING`], since the HTML
//! sanitiser's work grows with the square of the depth.

use pulldown_cmark::{Event, Options, Parser, html};

use super::FieldError;

/// Quotes, lists and other blocks nest at most this deep.
pub const MAX_NESTING: usize = 16;

const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH);

/// Refuses a description nested deeper than [`MAX_NESTING`].
pub fn check(markdown: &str) -> Result<(), FieldError> {
    let mut depth = 0usize;
    for event in Parser::new_ext(markdown, OPTIONS) {
        match event {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(FieldError::new(
                        "description",
                        "Nest quotes, lists and emphasis at most 16 deep.",
                    ));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

pub fn render(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, OPTIONS).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{MAX_NESTING, check, render};

    #[test]
    fn markdown_becomes_html() {
        let html = render("# Weather\n\nForecasts *daily*.\n\n- one\n- two\n");
        assert!(html.contains("<h1>Weather</h1>"), "{html}");
        assert!(html.contains("<em>daily</em>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn raw_html_and_scripts_are_shown_as_text() {
        let html = render("Hi <script>alert(1)</script> <b onclick=x>bold</b>\n\n<div>block</div>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn deep_nesting_is_refused_and_ordinary_nesting_kept() {
        let deep = ">".repeat(20_000);
        assert!(check(&deep).is_err());
        assert!(check(&format!("{} quote", ">".repeat(MAX_NESTING + 1))).is_err());
        assert!(check(&format!("{} quote", ">".repeat(MAX_NESTING / 2))).is_ok());
        assert!(check("# Title\n\n- a\n  - b\n    - *c*\n\n> quoted **bold**\n").is_ok());
    }

    #[test]
    fn dangerous_links_lose_their_target() {
        let html =
            render("[click](javascript:alert(1)) [ok](https://example.com) ![i](data:text/html,x)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }
}
