//! What every page shares: the head, the header with the search form, the
//! footer with the link to this request's trace.

use maud::{DOCTYPE, Markup, html};

/// The per-request parts of the frame around a page's content.
pub struct Frame<'a> {
    pub title: &'a str,
    /// What the search box shows (the current search).
    pub search: Option<&'a str>,
    /// This request's trace in Jaeger, when it is sampled.
    pub trace_url: Option<String>,
}

pub fn page(frame: &Frame<'_>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · Testbed shop" }
                link rel="stylesheet" href="/static/shop.css";
            }
            body {
                a class="skip" href="#content" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "Testbed shop" }
                    form class="search" role="search" method="get" action="/" {
                        label for="q" { "Search products" }
                        input id="q" name="q" type="search" maxlength="100" value=[frame.search];
                        button type="submit" { "Search" }
                    }
                }
                main id="content" tabindex="-1" { (content) }
                footer {
                    @if let Some(url) = &frame.trace_url {
                        a class="trace" href=(url) rel="nofollow" { "trace of this page" }
                    } @else {
                        span class="trace" { "this page was not traced" }
                    }
                }
            }
        }
    }
}
